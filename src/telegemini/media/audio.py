"""Audio codecs in-process with PyAV (libopus ships in its wheels; no ffmpeg binary).

Every function here is CPU-bound and synchronous: callers run them with ``asyncio.to_thread``
so the event loop never stalls while audio is encoded or decoded.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import av
import av.error

PCM_RATE = 24_000  # Gemini TTS speaks 16-bit mono PCM at 24 kHz
OPUS_BITRATE = 32_000  # plenty for speech; a minute of voice is ~240 KB


class AudioError(ValueError):
    """The audio could not be decoded (corrupt, empty, or not audio at all)."""


@dataclass(frozen=True, slots=True)
class Pcm:
    """Signed 16-bit little-endian mono samples."""

    data: bytes
    rate: int

    @property
    def duration(self) -> float:
        return len(self.data) / 2 / self.rate if self.rate else 0.0


@dataclass(frozen=True, slots=True)
class VoiceNote:
    """OGG/Opus, mono: what Telegram shows as a voice bubble."""

    data: bytes
    duration: float


def _open(data: bytes) -> av.container.InputContainer:
    if not data:
        raise AudioError("empty audio")
    try:
        return av.open(io.BytesIO(data), mode="r")
    except (av.error.FFmpegError, ValueError) as exc:
        raise AudioError(f"not decodable: {exc}") from exc


def decode_to_pcm(data: bytes, *, rate: int = PCM_RATE) -> Pcm:
    """Decode any audio (or the audio track of a video) to mono s16 PCM at ``rate``."""
    container = _open(data)
    try:
        if not container.streams.audio:
            raise AudioError("no audio track")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
        chunks: list[bytes] = []
        for frame in container.decode(stream):
            chunks.extend(_samples(resampler.resample(frame)))
        chunks.extend(_samples(resampler.resample(None)))
    except av.error.FFmpegError as exc:
        raise AudioError(f"corrupt audio: {exc}") from exc
    finally:
        container.close()
    pcm = b"".join(chunks)
    if not pcm:
        raise AudioError("no audio samples")
    return Pcm(pcm, rate)


ENCODE_CHUNK_SECONDS = 0.5


def encode_voice(pcm: Pcm, *, bitrate: int = OPUS_BITRATE) -> VoiceNote:
    """Encode mono PCM as OGG/Opus. Opus takes 8/12/16/24/48 kHz natively; others are
    resampled to 48 kHz first."""
    if not pcm.data:
        raise AudioError("no samples to encode")
    rate = pcm.rate if pcm.rate in (8000, 12000, 16000, 24000, 48000) else 48000
    if rate != pcm.rate:
        pcm = _resample(pcm, rate)
    out = io.BytesIO()
    with av.open(out, mode="w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=rate)
        stream.layout = "mono"
        stream.bit_rate = bitrate
        # Fed in short frames: each encode call holds the GIL until it returns, and one call
        # for 30 s of speech held the event loop's thread off for ~90 ms.
        total = len(pcm.data) // 2
        step = int(rate * ENCODE_CHUNK_SECONDS)
        for start in range(0, total, step):
            count = min(step, total - start)
            frame = av.AudioFrame(format="s16", layout="mono", samples=count)
            frame.planes[0].update(pcm.data[start * 2 : (start + count) * 2])
            frame.sample_rate = rate
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return VoiceNote(out.getvalue(), pcm.duration)


def _samples(frames: list[av.AudioFrame]) -> list[bytes]:
    """The s16 mono bytes of resampled frames (planes may be padded past the samples)."""
    return [bytes(frame.planes[0])[: frame.samples * 2] for frame in frames]


def _resample(pcm: Pcm, rate: int) -> Pcm:
    frame = av.AudioFrame(format="s16", layout="mono", samples=len(pcm.data) // 2)
    frame.planes[0].update(pcm.data[: (len(pcm.data) // 2) * 2])
    frame.sample_rate = pcm.rate
    resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
    chunks = _samples(resampler.resample(frame)) + _samples(resampler.resample(None))
    return Pcm(b"".join(chunks), rate)


def is_ogg_opus(data: bytes) -> bool:
    return data[:4] == b"OggS" and b"OpusHead" in data[:512]


def duration_of(data: bytes) -> float:
    """Duration in seconds of encoded audio, by decoding it (headers can lie)."""
    return decode_to_pcm(data, rate=8000).duration


def speech_to_voice(
    data: bytes, *, mime_type: str = "", sample_rate: int | None = None
) -> VoiceNote:
    """Whatever a TTS model returned → a Telegram voice note.

    Sniffs the bytes rather than trusting the label: OGG/Opus passes through, WAV and other
    containers are decoded, and anything else is raw PCM s16le (``audio/L16;rate=24000``).
    """
    if is_ogg_opus(data):
        return VoiceNote(data, duration_of(data))
    return encode_voice(speech_to_pcm(data, mime_type=mime_type, sample_rate=sample_rate))


def _rate_from_mime(mime_type: str) -> int | None:
    for part in mime_type.replace(" ", "").split(";"):
        if part.lower().startswith("rate="):
            try:
                return int(part.split("=", 1)[1])
            except ValueError:
                return None
    return None


def speech_to_pcm(data: bytes, *, mime_type: str = "", sample_rate: int | None = None) -> Pcm:
    """Any TTS output (raw PCM, WAV, OGG) as PCM at ``PCM_RATE``, so pieces can be joined."""
    if data[:4] in (b"RIFF", b"OggS", b"fLaC", b"ID3\x03", b"ID3\x04") or "wav" in mime_type:
        return decode_to_pcm(data)
    rate = sample_rate or _rate_from_mime(mime_type) or PCM_RATE
    pcm = Pcm(data[: (len(data) // 2) * 2], rate)
    return pcm if rate == PCM_RATE else _resample(pcm, PCM_RATE)


def join_into_notes(pieces: list[Pcm], *, max_seconds: float) -> list[VoiceNote]:
    """Consecutive pieces joined into as few voice notes as fit ``max_seconds`` each."""
    notes: list[VoiceNote] = []
    batch: list[bytes] = []
    batch_seconds = 0.0
    for piece in pieces:
        if batch and batch_seconds + piece.duration > max_seconds:
            notes.append(encode_voice(Pcm(b"".join(batch), PCM_RATE)))
            batch, batch_seconds = [], 0.0
        batch.append(piece.data)
        batch_seconds += piece.duration
    if batch:
        notes.append(encode_voice(Pcm(b"".join(batch), PCM_RATE)))
    return notes
