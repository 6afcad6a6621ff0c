"""What the chat page uploads, made into what Telegram would store.

A browser records WebM/Opus (Chromium, Firefox) or MP4/AAC (Safari); Telegram keeps a voice note
as OGG/Opus. Photos are re-encoded as JPEG, as Telegram does, at most 2560 px on the long side.
Every conversion runs in the media worker pool, never on the event loop.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from telegemini.media.audio import AudioError, decode_to_pcm, encode_voice, is_ogg_opus
from telegemini.media.workers import run_media

PHOTO_MAX_SIDE = 2560
MAX_VOICE_SECONDS = 600.0


class InputError(ValueError):
    """An upload that cannot become a voice note or a photo; the message says why."""


@dataclass(frozen=True)
class VoiceInput:
    """An OGG/Opus voice note and its whole seconds (at least 1)."""

    data: bytes
    duration: int


@dataclass(frozen=True)
class PhotoInput:
    """A JPEG and its size."""

    data: bytes
    width: int
    height: int


def voice_from_recording(data: bytes) -> VoiceInput:
    """Any recording (WebM/Opus, MP4/AAC, WAV, OGG) → a Telegram voice note (OGG/Opus, mono)."""
    try:
        pcm = decode_to_pcm(data)
    except AudioError as exc:
        raise InputError(f"the recording could not be decoded ({exc})") from exc
    if pcm.duration > MAX_VOICE_SECONDS:
        raise InputError(f"the recording is longer than {MAX_VOICE_SECONDS:.0f} seconds")
    note = data if is_ogg_opus(data) else encode_voice(pcm).data
    return VoiceInput(note, max(1, round(pcm.duration)))


def photo_from_upload(data: bytes) -> PhotoInput:
    """Any image Pillow reads → a JPEG of at most ``PHOTO_MAX_SIDE`` px on the long side."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            image = opened.convert("RGB")
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
        raise InputError("not an image Telegram would take as a photo") from exc
    image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=87)
    return PhotoInput(out.getvalue(), image.width, image.height)


async def convert_recording(data: bytes) -> VoiceInput:
    """``voice_from_recording`` in the media worker pool."""
    return await run_media(voice_from_recording, data)


async def convert_photo(data: bytes) -> PhotoInput:
    """``photo_from_upload`` in the media worker pool."""
    return await run_media(photo_from_upload, data)
