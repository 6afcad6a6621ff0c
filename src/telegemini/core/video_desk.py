"""What users ask of the video feature: ``/video [9:16] [8s] <prompt>`` (text to video, or
image to video with a photo sent with ``/video`` as its caption) and 🎬 Animate under a
generated image. Checked, moderated, throttled, one clip at a time per user and billed before
the model is asked; ``VideoStudio`` does the rest."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace

from telegemini.core.clips import (
    DEFAULT_SECONDS,
    MAX_REFERENCES,
    VideoJob,
    parse_video_args,
)
from telegemini.core.conversation import Caller
from telegemini.core.guards import Guard, StillWorking
from telegemini.core.models import (
    Attachment,
    AttachmentKind,
    ImageJob,
    ImagePart,
    IncomingCallback,
    IncomingMessage,
    Reply,
)
from telegemini.core.ports import FileSource
from telegemini.core.videos import VideoStudio
from telegemini.errors import InputTooLarge, TooManyReferences

MB = 1024 * 1024
MAX_DOWNLOAD = 20 * MB
KIND = "videos"
Moderate = Callable[[Caller, str], Awaitable[None]]
ANIMATE_PROMPT = "Bring this picture to life: {prompt}"  # what the model is asked for Animate


class StillFilming(StillWorking):
    """One clip at a time per user."""

    message_key = "video.busy"


class VideoDesk:
    def __init__(
        self,
        studio: VideoStudio,
        guard: Guard,
        files: FileSource,
        moderate: Moderate,
    ) -> None:
        self.studio = studio
        self._guard = guard
        self._files = files
        self._moderate = moderate

    @property
    def available(self) -> bool:
        return self.studio.available

    async def command(
        self, message: IncomingMessage, caller: Caller, args: str, photos: tuple[Attachment, ...]
    ) -> None:
        """``/video``: the usage text for anything the model does not accept."""
        t = caller.t
        if not self.available:
            await caller.out.send(Reply(t("video.unavailable"), markdown=False))
            return
        parsed = parse_video_args(args)
        if parsed is None:
            await caller.out.send(Reply(t("video.usage"), markdown=False))
            return
        if len(photos) > MAX_REFERENCES:
            raise TooManyReferences(f"{len(photos)}", limit=MAX_REFERENCES)
        for photo in photos:
            if photo.size is not None and photo.size > MAX_DOWNLOAD:
                raise InputTooLarge("reference photo", limit_mb=MAX_DOWNLOAD / MB)
        job = self._job(message, caller, parsed.prompt, parsed.aspect_ratio, parsed.seconds)
        await self._start(job, caller, photos)

    async def animate(self, image: ImageJob, callback: IncomingCallback, caller: Caller) -> None:
        """🎬 under a generated image: that picture, brought to life."""
        if not self.available or not image.photo_file_id:
            await caller.out.answer_callback(caller.t("callback.invalid"))
            return
        await caller.out.answer_callback(caller.t("video.working"))
        ratio = "9:16" if image.aspect_ratio in ("9:16", "2:3", "3:4", "4:5") else "16:9"
        job = self._job(callback, caller, image.prompt, ratio, DEFAULT_SECONDS)
        photo = Attachment(AttachmentKind.PHOTO, image.photo_file_id)
        await self._start(job, caller, (photo,), animate=True)

    def _job(
        self,
        source: IncomingMessage | IncomingCallback,
        caller: Caller,
        prompt: str,
        ratio: str,
        seconds: int,
    ) -> VideoJob:
        return VideoJob(
            id=secrets.token_urlsafe(8),
            chat=source.chat,
            thread_id=source.thread_id,
            user_id=caller.user.id,
            language=caller.t.language,
            prompt=prompt.strip(),
            aspect_ratio=ratio,
            seconds=seconds,
        )

    async def _start(
        self,
        job: VideoJob,
        caller: Caller,
        photos: tuple[Attachment, ...],
        *,
        animate: bool = False,
    ) -> None:
        await self._moderate(caller, job.prompt)
        await self._guard.throttle(caller.user, KIND)
        ttl = self.studio.config.timeout + 60
        try:
            async with self._guard.one_at_a_time(caller.user, KIND, ttl=ttl):
                await self._film(job, caller, photos, animate=animate)
        except StillFilming:
            raise
        except StillWorking as exc:
            raise StillFilming(KIND) from exc

    async def _film(
        self, job: VideoJob, caller: Caller, photos: tuple[Attachment, ...], *, animate: bool
    ) -> None:
        if await self.studio.jobs.running_for(caller.user.id) is not None:
            raise StillFilming(KIND)  # one clip at a time, across restarts and instances
        references = [ImagePart(await self._files.fetch(p), "image/jpeg") for p in photos]
        bill = await self._guard.charge(caller.user, KIND)
        charged = replace(
            job,
            reference_ids=tuple(p.file_id for p in photos),
            day=bill.day,
            charged=bill.amount,
        )
        prompt = ANIMATE_PROMPT.format(prompt=job.prompt) if animate else job.prompt
        await self.studio.film(charged, references, caller.out, caller.t, model_prompt=prompt)
