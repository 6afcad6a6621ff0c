"""``AudioCodec`` on PyAV, every conversion in a worker thread (never on the event loop)."""

from __future__ import annotations

from telegemini.core.models import Speech, VoiceNote
from telegemini.errors import CorruptMedia
from telegemini.media.workers import run_media


class PyAvAudioCodec:
    """Imports PyAV (~20 MB) on first use, in the worker thread like the conversions (the
    import held the event loop ~40 ms): a bot nobody sends voice to never loads it."""

    async def duration(self, data: bytes) -> float:
        return await run_media(_duration, data)

    async def audio_track(self, video: bytes) -> bytes:
        return await run_media(_audio_track, video)

    async def voice_notes(self, speech: list[Speech], *, max_seconds: float) -> list[VoiceNote]:
        return await run_media(_voice_notes, speech, max_seconds)


def _duration(data: bytes) -> float:
    from telegemini.media.audio import AudioError, decode_to_pcm

    try:
        # 8 kHz is enough to measure; decoding at all proves the file is sound.
        return decode_to_pcm(data, rate=8000).duration
    except AudioError as exc:
        raise CorruptMedia(str(exc)) from exc


def _audio_track(video: bytes) -> bytes:
    from telegemini.media.audio import AudioError, decode_to_pcm, encode_voice

    try:
        return encode_voice(decode_to_pcm(video)).data
    except AudioError as exc:
        raise CorruptMedia(str(exc)) from exc


def _voice_notes(speech: list[Speech], max_seconds: float) -> list[VoiceNote]:
    from telegemini.media.audio import AudioError, join_into_notes, speech_to_pcm

    try:
        pieces = [
            speech_to_pcm(s.data, mime_type=s.mime_type, sample_rate=s.sample_rate) for s in speech
        ]
        notes = join_into_notes(pieces, max_seconds=max_seconds)
    except AudioError as exc:
        raise CorruptMedia(f"speech: {exc}") from exc
    return [VoiceNote(n.data, n.duration) for n in notes]
