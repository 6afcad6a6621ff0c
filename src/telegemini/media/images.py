"""Images for Telegram with Pillow: a JPEG inside the photo limits, made off the event loop."""

from __future__ import annotations

import io

from telegemini.errors import CorruptMedia
from telegemini.media.workers import run_media

PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_MAX_SIDES = 10_000  # width + height
PHOTO_MAX_RATIO = 20


def photo_jpeg(data: bytes, *, quality: int = 90) -> bytes:
    """Re-encode any image as a JPEG Telegram accepts as a photo: width + height <= 10000,
    aspect ratio <= 20, at most 10 MB (quality steps down, then the size, until it fits)."""
    from PIL import Image, UnidentifiedImageError  # on first use: only image requests need it

    try:
        opened = Image.open(io.BytesIO(data))
        opened.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise CorruptMedia(f"image: {exc}") from exc
    image: Image.Image = opened
    if image.mode != "RGB":
        background = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    width, height = image.size
    if max(width, height) > PHOTO_MAX_RATIO * min(width, height):
        raise CorruptMedia("aspect ratio over 20")
    if width + height > PHOTO_MAX_SIDES:
        scale = PHOTO_MAX_SIDES / (width + height)
        image = image.resize((int(width * scale), int(height * scale)), Image.Resampling.LANCZOS)
    while True:
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=quality, optimize=True)
        if out.tell() <= PHOTO_MAX_BYTES:
            return out.getvalue()
        if quality > 60:
            quality -= 10
        else:
            image = image.resize((image.width * 3 // 4, image.height * 3 // 4))


class PillowImageCodec:
    """``ImageCodec`` on Pillow, in the low-priority media pool."""

    async def to_photo(self, data: bytes) -> bytes:
        return await run_media(photo_jpeg, data)
