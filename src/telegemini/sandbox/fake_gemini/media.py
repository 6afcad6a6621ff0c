"""Deterministic media for the fake Gemini server, built with the standard library only.

- `decode_b64` / `encode_b64`: the SDK sends standard base64 on Interactions and URL-safe
  base64 on generateContent, sometimes without padding; both are accepted.
- `pcm_tone` / `wav_from_pcm`: speech stand-ins (PCM s16le mono 24 kHz, a sine tone).
- `png_image`: a small valid PNG (zlib + struct), coloured from a seed.
- `image_sizes`: the logical size an `aspect_ratio` / `image_size` pair asks for, and the
  tiny pixel size the fake really draws (1/16 of it: 1K → long side 64 px).
"""

from __future__ import annotations

import base64
import binascii
import functools
import io
import math
import struct
import wave
import zlib
from dataclasses import dataclass

SAMPLE_RATE = 24_000
"""Sample rate of the speech the fake produces (what Gemini TTS returns)."""

PCM_MIME_INTERACTIONS = "audio/l16"
PCM_MIME_GENERATE_CONTENT = f"audio/L16;codec=pcm;rate={SAMPLE_RATE}"
WAV_MIME = "audio/wav"
PNG_MIME = "image/png"

IMAGE_SCALE = 16
"""Logical pixels per drawn pixel: a 2K (2048 px) request gives a 128 px image."""

_LONG_SIDES = {"512": 512, "1K": 1024, "2K": 2048, "4K": 4096}


class MediaDecodeError(ValueError):
    """Base64 data in a request could not be decoded."""


def decode_b64(value: str) -> bytes:
    """Decode standard or URL-safe base64, with or without padding."""
    cleaned = "".join(value.split()).replace("-", "+").replace("_", "/")
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MediaDecodeError("Base64 decoding failed") from exc


def encode_b64(data: bytes) -> str:
    """Standard base64 with padding, as the real API answers."""
    return base64.b64encode(data).decode("ascii")


def speech_seconds(
    text: str, *, ms_per_char: float = 60.0, min_seconds: float = 0.5, max_seconds: float = 30.0
) -> float:
    """Duration of the fake speech for `text`: proportional to its length, clamped."""
    return min(max_seconds, max(min_seconds, len(text) * ms_per_char / 1000.0))


def pcm_samples(seconds: float, sample_rate: int = SAMPLE_RATE) -> int:
    """Number of samples the fake emits for `seconds` of audio."""
    return round(seconds * sample_rate)


def pcm_tone(seconds: float, *, frequency: float = 440.0, sample_rate: int = SAMPLE_RATE) -> bytes:
    """A sine tone as PCM s16le mono: `2 * pcm_samples(seconds)` bytes (cached)."""
    count = pcm_samples(seconds, sample_rate)
    second = _tone_second(frequency, sample_rate)  # whole periods when frequency is an integer
    repeats = -(-count // sample_rate)
    return (second * repeats)[: 2 * count]


@functools.cache
def _tone_second(frequency: float, sample_rate: int) -> bytes:
    """One second of the tone, built once: a long tone is this, repeated (fast, no loop stall)."""
    step = 2 * math.pi * frequency / sample_rate
    amplitude = 0.3 * 32767
    samples = (round(amplitude * math.sin(step * i)) for i in range(sample_rate))
    return struct.pack(f"<{sample_rate}h", *samples)


def wav_from_pcm(pcm: bytes, *, sample_rate: int = SAMPLE_RATE, channels: int = 1) -> bytes:
    """Wrap PCM s16le in a RIFF/WAVE container."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(sample_rate)
        writer.writeframes(pcm)
    return buffer.getvalue()


@dataclass(frozen=True)
class ImageSizes:
    """What an image request asked for and what the fake draws."""

    aspect_ratio: str
    image_size: str
    logical: tuple[int, int]
    pixels: tuple[int, int]


def image_sizes(aspect_ratio: str | None, image_size: str | None) -> ImageSizes:
    """Sizes for `aspect_ratio` ("16:9", default "1:1") and `image_size` ("1K" default)."""
    ratio = aspect_ratio or "1:1"
    size = (image_size or "1K").upper()
    long_side = _LONG_SIDES.get(size, 1024)
    try:
        width_part, height_part = (float(p) for p in ratio.split(":", 1))
    except ValueError:
        width_part, height_part = 1.0, 1.0
    if width_part <= 0 or height_part <= 0:
        width_part, height_part = 1.0, 1.0
    if width_part >= height_part:
        logical = (long_side, max(1, round(long_side * height_part / width_part)))
    else:
        logical = (max(1, round(long_side * width_part / height_part)), long_side)
    pixels = (max(1, round(logical[0] / IMAGE_SCALE)), max(1, round(logical[1] / IMAGE_SCALE)))
    return ImageSizes(aspect_ratio=ratio, image_size=size, logical=logical, pixels=pixels)


@functools.lru_cache(maxsize=64)
def png_image(width: int, height: int, *, seed: int = 0) -> bytes:
    """A valid 8-bit RGB PNG with a diagonal gradient whose colours depend on `seed` (cached)."""
    base = (seed & 0xFF, (seed >> 8) & 0xFF, (seed >> 16) & 0xFF)
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type "none"
        for x in range(width):
            shade = (x * 255 // max(1, width - 1) + y * 255 // max(1, height - 1)) // 2
            rows.extend(((base[0] + shade) & 0xFF, (base[1] + shade // 2) & 0xFF, base[2]))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _png_chunk(b"IEND", b"")
    )


def png_dimensions(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)
