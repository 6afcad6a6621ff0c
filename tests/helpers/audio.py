"""Test audio made on the spot: sine-tone PCM, WAV, and real OGG/Opus voice notes."""

from __future__ import annotations

import io
import math
import struct
import wave

from telegemini.media.audio import Pcm, encode_voice


def sine_pcm(seconds: float, *, rate: int = 24_000, freq: float = 440.0) -> bytes:
    count = int(seconds * rate)
    return b"".join(
        struct.pack("<h", int(9000 * math.sin(2 * math.pi * freq * n / rate))) for n in range(count)
    )


def wav_bytes(seconds: float, *, rate: int = 24_000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(sine_pcm(seconds, rate=rate))
    return out.getvalue()


def voice_note(seconds: float) -> bytes:
    """A real Telegram-style voice note (OGG/Opus, mono)."""
    return encode_voice(Pcm(sine_pcm(seconds), 24_000)).data
