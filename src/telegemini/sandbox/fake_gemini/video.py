"""Omni-style video: a ``background: true`` interaction answered at once with ``in_progress``;
``get`` shows it still in progress until the clip's time has passed on the fake's own clock, then
``completed`` with a real MP4 (made with PyAV off the event loop: one colour taken from the
prompt, at the requested ratio and duration) or ``failed``.

Checked as the live API does (reference §5.2, §10.4): Interactions only (generateContent is
refused elsewhere), ``veo-*`` answer 404 "no longer available", the duration within 3-15 s
(1.2) or 3-10 s (1.1) with min/max errors, ratios 16:9 and 9:16, at most 6 reference images.

Magic tokens in the prompt: ``[[blocked]]`` (``failed`` with a ``safety`` error),
``[[refused]]`` (``completed`` with text and no video), ``[[video_failed]]`` (``failed``,
``internal``). Time: a clip takes ``video_seconds`` (20) of the fake's clock, which runs
``video_speed`` times faster than real time (tests set it high instead of waiting).
"""

from __future__ import annotations

import re
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

from telegemini.media.video import make_solid_clip

from .errors import error_response
from .interactions import StoredInteraction, new_interaction_id, now_iso
from .media import encode_b64
from .parsing import Json
from .script import parse_magic

_TOKENS = re.compile(r"\[\[(refused|video_failed)\]\]")
_LIMITS = {"gemini-omni-1.2-flash": 15.0, "gemini-omni-1.1-flash": 10.0}
SIZES = {"16:9": (320, 180), "9:16": (180, 320)}  # small: a test clip, not a film
MAX_REFERENCES = 6
COLOURS = {
    "red": (220, 40, 40),
    "green": (40, 180, 70),
    "blue": (40, 90, 220),
    "yellow": (240, 220, 50),
    "orange": (245, 150, 40),
    "purple": (140, 60, 200),
    "pink": (240, 130, 190),
    "white": (245, 245, 245),
    "black": (15, 15, 15),
    "grey": (128, 128, 128),
    "gray": (128, 128, 128),
}


@dataclass
class VideoClock:
    """The fake's clock for clips: ``speed`` fake seconds per real second."""

    seconds: float = 20.0  # how long one clip takes
    speed: float = 1.0

    def now(self) -> float:
        return time.monotonic() * self.speed


@dataclass
class VideoTask:
    interaction: StoredInteraction
    prompt: str
    aspect_ratio: str
    duration: float
    ready_at: float  # on the fake's clock
    outcome: str  # "video" | "blocked" | "refused" | "failed"
    polls: int = 0
    meta: dict[str, Any] = field(default_factory=dict)


def is_video_request(body: Json) -> bool:
    formats = body.get("response_format")
    formats = formats if isinstance(formats, list) else [formats]
    modalities = body.get("response_modalities") or []
    return "video" in modalities or any(
        isinstance(f, dict) and f.get("type") == "video" for f in formats
    )


def _format(body: Json) -> Json:
    formats = body.get("response_format")
    for item in formats if isinstance(formats, list) else [formats]:
        if isinstance(item, dict) and item.get("type") == "video":
            return item
    return {}


def _prompt_and_images(body: Json) -> tuple[str, int]:
    raw = body.get("input")
    texts: list[str] = []
    images = 0
    steps = raw if isinstance(raw, list) else [raw]
    for step in steps:
        if isinstance(step, str):
            texts.append(step)
            continue
        if not isinstance(step, dict):
            continue
        blocks = step.get("content") if step.get("type") == "user_input" else [step]
        for block in blocks if isinstance(blocks, list) else []:
            if isinstance(block, dict) and block.get("type") == "text":
                texts.append(str(block.get("text", "")))
            elif isinstance(block, dict) and block.get("type") == "image":
                images += 1
    return " ".join(texts), images


def colour_of(prompt: str) -> tuple[int, int, int]:
    lowered = prompt.lower()
    for word, rgb in COLOURS.items():
        if re.search(rf"\b{word}\b", lowered):
            return rgb
    seed = zlib.crc32(lowered.encode())
    return (seed & 0xFF, (seed >> 8) & 0xFF, (seed >> 16) & 0xFF)


def _bad(message: str) -> Any:
    return error_response(400, message, style="interactions")


def create(
    body: Json, clock: VideoClock, tasks: dict[str, VideoTask], meta: dict[str, Any]
) -> StoredInteraction | Any:
    """Validate and start a clip; an error response when the request is refused."""
    model = str(body.get("model") or "").removeprefix("models/")
    if model.startswith("veo-"):
        return error_response(
            404,
            f"models/{model} is no longer available. Please use gemini-omni-1.2-flash.",
            style="interactions",
        )
    limit = _LIMITS.get(model, 15.0 if "omni" in model else None)
    if limit is None:
        return _bad(f"Model {model} does not support video output.")
    if body.get("background") is not True:
        return _bad("Video generation runs in the background: set background to true.")
    video = _format(body)
    ratio = str(video.get("aspect_ratio") or "16:9")
    if ratio not in SIZES:
        return _bad(f"Invalid aspect_ratio '{ratio}': use 16:9 or 9:16.")
    raw_duration = str(video.get("duration") or "8s")
    try:
        duration = float(raw_duration.removesuffix("s"))
    except ValueError:
        return _bad(f"Invalid duration '{raw_duration}'.")
    if duration < 3:
        return _bad(f"duration must be at least 3s, got {raw_duration}.")
    if duration > limit:
        return _bad(f"duration must be at most {limit:g}s for {model}, got {raw_duration}.")
    prompt, images = _prompt_and_images(body)
    if images > MAX_REFERENCES:
        return _bad(f"At most {MAX_REFERENCES} reference images are supported, got {images}.")
    magic = parse_magic(prompt)
    found = set(_TOKENS.findall(prompt))
    outcome = (
        "blocked"
        if magic.blocked
        else "refused"
        if "refused" in found
        else "failed"
        if "video_failed" in found
        else "video"
    )
    stored = StoredInteraction(
        id=new_interaction_id(),
        model=model,
        previous_interaction_id=None,
        input=body.get("input"),
        input_steps=[],
        input_turns=[],
        status="in_progress",
    )
    meta.update(kind="video", aspect_ratio=ratio, duration=duration, references=images)
    meta["interaction_id"] = stored.id
    tasks[stored.id] = VideoTask(
        stored, prompt, ratio, duration, clock.now() + clock.seconds, outcome, meta=meta
    )
    return stored


async def advance(task: VideoTask, clock: VideoClock) -> None:
    """Bring a clip up to the fake's clock (the MP4 is made once, on the media pool)."""
    task.polls += 1
    stored = task.interaction
    if stored.status != "in_progress" or clock.now() < task.ready_at:
        stored.updated = now_iso()
        return
    if task.outcome == "blocked":
        stored.status = "failed"
        stored.errors = [{"code": "safety", "message": "The video was blocked by safety filters."}]
    elif task.outcome == "failed":
        stored.status = "failed"
        stored.errors = [{"code": "internal", "message": "Video generation failed."}]
    elif task.outcome == "refused":
        stored.status = "completed"
        text = "I can't make that video."
        stored.output_steps = [
            {"type": "model_output", "content": [{"type": "text", "text": text}]}
        ]
    else:
        width, height = SIZES[task.aspect_ratio]
        data = await make_solid_clip(
            colour_of(task.prompt), width=width, height=height, seconds=task.duration
        )
        block = {"type": "video", "mime_type": "video/mp4", "data": encode_b64(data)}
        stored.output_steps = [
            {"type": "thought", "signature": encode_b64(f"fake-thought:{stored.id}".encode())},
            {"type": "model_output", "content": [block]},
        ]
        stored.usage = {
            "output_tokens_by_modality": [
                {"modality": "video", "tokens": int(5792 * task.duration)}
            ]
        }
        task.meta["bytes"] = len(data)
        stored.status = "completed"
    stored.updated = now_iso()
