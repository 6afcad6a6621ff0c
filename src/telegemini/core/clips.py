"""Video clips as the core sees them: the job kept while a clip is filmed, what a look at the
model's progress says, the ``/video`` arguments, and the ports the video feature needs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from telegemini.core.models import ChatRef, ImagePart
from telegemini.core.ports import ChatOutput

VIDEO_RATIOS = ("16:9", "9:16")  # what Gemini Omni films
DEFAULT_RATIO = "16:9"
DEFAULT_SECONDS = 8
MIN_SECONDS, MAX_SECONDS = 3, 15  # gemini-omni-1.2-flash (1.1: up to 10)
MAX_REFERENCES = 6  # reference images Omni 1.2 takes
_RATIO = re.compile(r"^\d{1,2}:\d{1,2}$")
_SECONDS = re.compile(r"^(\d{1,3})\s*(?:s|sec|secs|seconds?)$", re.IGNORECASE)


class VideoState(StrEnum):
    RUNNING = "running"  # the model is filming; an instance polls it (``owner``)
    SENDING = "sending"  # taken for delivery by exactly one instance
    DELIVERED = "delivered"
    FAILED = "failed"  # explained to the user and refunded


@dataclass(frozen=True, slots=True)
class VideoJob:
    """One clip being made: where it goes, what was asked, the model's background interaction
    and the status message that shows its progress. Stored, so a restart resumes it."""

    id: str
    chat: ChatRef
    thread_id: int | None
    user_id: int
    language: str  # the user's interface language when they asked
    prompt: str
    aspect_ratio: str
    seconds: int
    reference_ids: tuple[str, ...] = ()
    interaction_id: str | None = None
    state: VideoState = VideoState.RUNNING
    status_message_id: int | None = None
    day: str = ""  # the quota day charged
    charged: int = 0  # quota units taken (given back if the clip fails)
    created_at: float = 0.0  # epoch seconds


@dataclass(frozen=True, slots=True)
class VideoProgress:
    """One look at a background interaction: still ``running``, or finished with ``video``
    (MP4 bytes), or failed for ``reason`` ("safety" for a block or refusal, "failed")."""

    running: bool
    video: bytes | None = None
    reason: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class VideoArgs:
    prompt: str
    aspect_ratio: str = DEFAULT_RATIO
    seconds: int = DEFAULT_SECONDS


def parse_video_args(text: str) -> VideoArgs | None:
    """``"9:16 8s a fox in snow"`` → ratio, duration and prompt (options in any order, before
    the prompt). None when an option is not one the model accepts, or there is no prompt."""
    words = text.split()
    ratio, seconds = DEFAULT_RATIO, DEFAULT_SECONDS
    while words:
        word = words[0]
        if _RATIO.match(word):
            if word not in VIDEO_RATIOS:
                return None
            ratio = word
        elif (match := _SECONDS.match(word)) is not None:
            seconds = int(match.group(1))
            if not MIN_SECONDS <= seconds <= MAX_SECONDS:
                return None
        else:
            break
        words.pop(0)
    prompt = " ".join(words)
    return VideoArgs(prompt, ratio, seconds) if prompt else None


def ratio_for(width: int, height: int) -> str:
    """The video ratio closest to a picture's shape."""
    return "9:16" if height > width else "16:9"


class VideoGenerator(Protocol):
    """A video model with background generation: ``start`` returns at once with the id to
    ``check`` until it is done."""

    async def start(
        self, prompt: str, *, aspect_ratio: str, seconds: int, references: list[ImagePart]
    ) -> str:
        """The background interaction's id. Raises ``UserFacingError``s (a refusal, a bad
        request, the model unavailable)."""
        ...

    async def check(self, interaction_id: str) -> VideoProgress: ...


class VideoProbe(Protocol):
    """What an MP4 holds (CPU work, off the event loop)."""

    async def shape(self, data: bytes) -> tuple[int, int, float]:
        """Width, height and seconds; raises ``CorruptMedia``."""
        ...


class VideoJobs(Protocol):
    """Durable video jobs, shared by every instance: each running job is polled by one
    instance at a time (a lease), and delivered by one."""

    async def add(self, job: VideoJob, *, owner: str, lease: float) -> None: ...

    async def update(self, job: VideoJob) -> None:
        """Save the interaction id and status message of a running job."""
        ...

    async def running_for(self, user_id: int) -> VideoJob | None: ...

    async def renew(self, job_id: str, *, owner: str, lease: float) -> bool:
        """Extend ``owner``'s lease; False when the job is no longer ``owner``'s to poll."""
        ...

    async def take_orphans(
        self, *, owner: str, lease: float, everyone: bool = False
    ) -> list[VideoJob]:
        """Running jobs whose lease ran out (their instance died), now ``owner``'s;
        ``everyone``: every running job (one instance starting again)."""
        ...

    async def finish(self, job_id: str, state: VideoState, *, owner: str) -> bool:
        """Move a running job to ``state``; True for the one caller that did it."""
        ...

    async def release(self, owner: str) -> None:
        """Let another instance take ``owner``'s running jobs at once (a clean stop)."""
        ...


class ChatOutputs(Protocol):
    """Where the bot writes to a chat outside any incoming message (a resumed job)."""

    def open(self, chat: ChatRef, *, thread_id: int | None, user_id: int) -> ChatOutput: ...
