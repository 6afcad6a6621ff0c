"""The demo model's voice and pictures: espeak-ng speech (a tone without it), Pillow drawings.

Nothing here blocks the event loop: espeak-ng runs as an asyncio subprocess, and decoding its WAV
and drawing with Pillow run in the media worker pool.
"""

from __future__ import annotations

import asyncio
import io
import logging
import shutil
import textwrap
import unicodedata
import zlib
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageOps

from telegemini.media.audio import AudioError, decode_to_pcm
from telegemini.media.workers import run_media
from telegemini.sandbox.fake_gemini import SAMPLE_RATE, ImageRequest, SpeechRequest
from telegemini.sandbox.fake_gemini.media import pcm_tone

log = logging.getLogger(__name__)

IMAGE_LONG_SIDE = 512
"""Pixels on the long side of a demo picture, whatever size was asked for."""

ESPEAK_TIMEOUT = 20.0
TONE_SECONDS = 1.5
"""The longest tone the demo model hums instead of speech (without espeak-ng)."""
_MAX_SPOKEN_CHARS = 1500

# espeak-ng voice variants; each Gemini voice name maps to one of them, always the same.
_VARIANTS = ("f3", "m3", "f2", "m1", "f4", "m7")

_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
)


def espeak_voice(text: str, voice: str | None = None) -> str:
    """The espeak-ng voice for ``text``: its language from the script, a variant from ``voice``.

    Chinese → ``cmn``, Cyrillic → ``ru``, Spanish punctuation or ``ñ`` → ``es``, else ``en``.
    """
    language = "en"
    for char in text:
        name = unicodedata.name(char, "")
        if name.startswith("CJK UNIFIED IDEOGRAPH"):
            language = "cmn"
            break
        if name.startswith("CYRILLIC"):
            language = "ru"
            break
        if char in "ñÑ¿¡":
            language = "es"
    variant = _VARIANTS[zlib.crc32((voice or "").encode()) % len(_VARIANTS)]
    return f"{language}+{variant}"


class EspeakError(RuntimeError):
    """espeak-ng failed or took too long."""


async def espeak_wav(
    text: str, *, voice: str, program: str = "espeak-ng", time_limit: float = ESPEAK_TIMEOUT
) -> bytes:
    """Speak ``text`` with espeak-ng; its WAV (22.05 kHz) comes back on stdout."""
    process = await asyncio.create_subprocess_exec(
        program,
        "--stdout",
        "-v",
        voice,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(time_limit):
            out, err = await process.communicate(text[:_MAX_SPOKEN_CHARS].encode())
    except TimeoutError:
        process.kill()
        await process.wait()
        raise EspeakError(f"espeak-ng took longer than {time_limit:.0f}s") from None
    if process.returncode != 0 or not out:
        detail = err.decode(errors="replace").strip()[:200]
        raise EspeakError(f"espeak-ng exited with {process.returncode}: {detail}")
    return out


def _wav_to_pcm(wav: bytes) -> bytes:
    return decode_to_pcm(wav, rate=SAMPLE_RATE).data


class DemoMedia:
    """The demo model's ``MediaMaker``: espeak-ng when installed (a tone otherwise), Pillow."""

    def __init__(self, *, espeak: str | None = None, find_espeak: bool = True) -> None:
        self.espeak = espeak or (shutil.which("espeak-ng") if find_espeak else None)

    @property
    def speaks(self) -> bool:
        """Whether speech is real (espeak-ng) rather than a tone."""
        return self.espeak is not None

    async def speech(self, request: SpeechRequest) -> bytes:
        if self.espeak is not None and request.text.strip():
            try:
                voice = espeak_voice(request.text, request.voice)
                wav = await espeak_wav(request.text, voice=voice, program=self.espeak)
                return await run_media(_wav_to_pcm, wav)
            except (OSError, EspeakError, AudioError) as exc:
                log.warning("espeak-ng failed (%s); the demo model hums instead", exc)
        return pcm_tone(min(max(request.seconds, 0.5), TONE_SECONDS))

    async def image(self, request: ImageRequest) -> bytes:
        width, height = picture_size(request.sizes.logical)
        if request.references:
            return await run_media(
                edit_picture, request.references[0], request.prompt, width, height
            )
        return await run_media(draw_picture, request.prompt, width, height, seed=request.seed)


def picture_size(logical: tuple[int, int], long_side: int = IMAGE_LONG_SIDE) -> tuple[int, int]:
    """``logical`` scaled so its long side is ``long_side`` pixels (aspect ratio kept)."""
    width, height = logical
    scale = long_side / max(width, height, 1)
    return max(1, round(width * scale)), max(1, round(height * scale))


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for candidate in _FONT_CANDIDATES:
        if Path(candidate).exists():
            try:
                return ImageFont.truetype(candidate, size)
            except OSError:
                continue
    return ImageFont.load_default(size=size)


def _colours(seed: int) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    hue = seed % 360
    first = Image.new("HSV", (1, 1), (hue * 255 // 360, 170, 200)).convert("RGB").getpixel((0, 0))
    second_hue = (hue + 50) % 360
    second = (
        Image.new("HSV", (1, 1), (second_hue * 255 // 360, 200, 90)).convert("RGB").getpixel((0, 0))
    )
    assert isinstance(first, tuple)
    assert isinstance(second, tuple)
    return (first[0], first[1], first[2]), (second[0], second[1], second[2])


def draw_picture(prompt: str, width: int, height: int, *, seed: int = 0) -> bytes:
    """A PNG: ``prompt`` written on a diagonal gradient whose colours follow ``seed``."""
    light, dark = _colours(seed)
    down = Image.linear_gradient("L").resize((width, height))
    across = Image.linear_gradient("L").rotate(90).resize((width, height))
    ramp = ImageChops.add(down, across, scale=2.0)
    image = ImageOps.colorize(ramp, black=light, white=dark).convert("RGB")
    draw = ImageDraw.Draw(image)
    size = max(12, min(width, height) // 11)
    font = _font(size)
    wide = any(unicodedata.east_asian_width(c) in "WF" for c in prompt)
    columns = max(4, int(width / (size * (1.0 if wide else 0.6))) - 1)
    lines = textwrap.wrap(prompt.strip() or "…", width=columns)[: max(1, height // size - 2)]
    text = "\n".join(lines)
    box = draw.multiline_textbbox((0, 0), text, font=font, align="center", spacing=size // 4)
    x = (width - (box[2] - box[0])) / 2 - box[0]
    y = (height - (box[3] - box[1])) / 2 - box[1]
    shadow = max(1, size // 16)
    draw.multiline_text(
        (x + shadow, y + shadow), text, font=font, fill=(0, 0, 0), align="center", spacing=size // 4
    )
    draw.multiline_text(
        (x, y), text, font=font, fill=(255, 255, 255), align="center", spacing=size // 4
    )
    label_font = _font(max(10, size // 2))
    draw.text((size // 3, height - size), "demo model", font=label_font, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def edit_picture(reference: bytes, prompt: str, width: int, height: int) -> bytes:
    """The demo's "edit" of a photo: the photo itself, posterized and warmed like a print,
    with what was asked written on a band at the bottom. Unreadable input gets a drawing."""
    try:
        with Image.open(io.BytesIO(reference)) as source:
            photo = ImageOps.fit(source.convert("RGB"), (width, height))
    except (OSError, ValueError):
        return draw_picture(prompt, width, height)
    toned = ImageOps.posterize(photo, 3)
    warm = ImageOps.colorize(ImageOps.grayscale(toned), black=(40, 20, 60), white=(255, 230, 170))
    image = Image.blend(toned, warm.convert("RGB"), 0.45)
    draw = ImageDraw.Draw(image)
    size = max(12, min(width, height) // 16)
    band = size * 2 + size // 2
    draw.rectangle((0, height - band, width, height), fill=(0, 0, 0))
    font = _font(size)
    columns = max(4, int(width / (size * 0.6)) - 1)
    wide = any(unicodedata.east_asian_width(c) in "WF" for c in prompt)
    columns = columns // 2 if wide else columns
    text = " ".join(prompt.split()) or "…"
    caption = text if len(text) <= columns else text[: columns - 1] + "…"
    draw.text((size // 2, height - band + size // 4), caption, font=font, fill=(255, 255, 255))
    label = _font(max(10, size // 2))
    draw.text((size // 2, height - size), "demo edit", font=label, fill=(255, 214, 102))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
