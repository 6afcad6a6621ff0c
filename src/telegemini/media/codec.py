"""``AudioCodec`` on PyAV, every conversion in a worker thread (never on the event loop)."""

from __future__ import annotations

from telegemini.core.models import Speech, VoiceNote
from telegemini.errors import CorruptMedia
from telegemini.media.workers import run_media


class PyAvAudioCodec:
    """Imports PyAV (~20 MB) on first use: a bot nobody sends voice to never loads it."""

    async def duration(self, data: bytes) -> float:
        from telegemini.media.audio import AudioError, decode_to_pcm

        try:
            # 8 kHz is enough to measure; decoding at all proves the file is sound.
            return (await run_media(decode_to_pcm, data, rate=8000)).duration
        except AudioError as exc:
            raise CorruptMedia(str(exc)) from exc

    async def audio_track(self, video: bytes) -> bytes:
        from telegemini.media.audio import AudioError, decode_to_pcm, encode_voice

        def convert() -> bytes:
            return encode_voice(decode_to_pcm(video)).data

        try:
            return await run_media(convert)
        except AudioError as exc:
            raise CorruptMedia(str(exc)) from exc

    async def voice_notes(self, speech: list[Speech], *, max_seconds: float) -> list[VoiceNote]:
        from telegemini.media.audio import AudioError, join_into_notes, speech_to_pcm

        def convert() -> list[VoiceNote]:
            pieces = [
                speech_to_pcm(s.data, mime_type=s.mime_type, sample_rate=s.sample_rate)
                for s in speech
            ]
            notes = join_into_notes(pieces, max_seconds=max_seconds)
            return [VoiceNote(n.data, n.duration) for n in notes]

        try:
            return await run_media(convert)
        except AudioError as exc:
            raise CorruptMedia(f"speech: {exc}") from exc
