"""Pluggable media: who makes the fake's speech and pictures.

By default the fake makes them itself with the standard library (a sine tone, a tiny gradient
PNG), which is all tests need. A `MediaMaker` given to `FakeGeminiServer(media=...)` replaces
both after the answer is composed: the local sandbox's demo model speaks with espeak-ng and draws
the prompt with Pillow. Makers are async so they can run subprocesses and worker threads without
stalling the server's event loop.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from . import tts
from .answer import Answer
from .media import SAMPLE_RATE, ImageSizes, png_dimensions
from .options import OutputRequest
from .parsing import Turn, latest_user_turn


@dataclass(frozen=True)
class SpeechRequest:
    """Text to speak. `seconds` is how long the default tone would last."""

    text: str
    voice: str | None
    language: str | None
    seconds: float


@dataclass(frozen=True)
class ImageRequest:
    """A picture to draw for `prompt`, at the requested aspect ratio and size."""

    prompt: str
    sizes: ImageSizes
    seed: int
    references: tuple[bytes, ...] = ()
    """The pictures sent with the prompt (an edit), in order."""


class MediaMaker(Protocol):
    """Makes the speech and images of a fake model."""

    async def speech(self, request: SpeechRequest) -> bytes:
        """PCM s16le mono at 24 kHz (`media.SAMPLE_RATE`)."""
        ...

    async def image(self, request: ImageRequest) -> bytes:
        """A PNG."""
        ...


def image_inputs(turns: Sequence[Turn]) -> tuple[bytes, ...]:
    """The pictures of the latest user turn (what an image edit starts from)."""
    latest = latest_user_turn(turns)
    if latest is None:
        return ()
    return tuple(m.data for m in latest.media if m.kind == "image" and m.data)


async def apply_media(
    maker: MediaMaker,
    answer: Answer,
    prompt: str,
    output: OutputRequest,
    *,
    references: tuple[bytes, ...] = (),
) -> None:
    """Replace the default speech or image of a composed answer with the maker's."""
    if answer.blocked:
        return
    if answer.speech_pcm is not None:
        seconds = float(answer.meta.get("seconds", 0.0))
        words = tts.spoken_text(prompt)  # vocal events are sounds, not words to read
        request = SpeechRequest(words, output.voice, output.language, seconds)
        pcm = await maker.speech(request)
        answer.speech_pcm = pcm[: (len(pcm) // 2) * 2]
        answer.meta["seconds"] = len(answer.speech_pcm) / 2 / SAMPLE_RATE
    if answer.image_png is not None and answer.image is not None:
        seed = zlib.crc32(prompt.encode())
        drawing = ImageRequest(prompt, answer.image, seed, references)
        answer.image_png = await maker.image(drawing)
        answer.meta["pixel_size"] = list(png_dimensions(answer.image_png))
