"""Clips from the video model, from request to delivery, surviving restarts.

A clip takes minutes, so it does not hold the conversation: ``film`` starts the model's
background interaction, stores the job (with the interaction's id) and returns; a watcher task
polls the model, keeps the status message current ("Filming… 40 s") under the "recording
video" chat action, and replaces it with the clip (or with why there is none, refunded). Every
running job is leased to one instance; after a restart (or a crashed instance's lease running
out) ``resume`` takes the job over and delivers it once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from telegemini.core.clips import (
    ChatOutputs,
    VideoGenerator,
    VideoJob,
    VideoJobs,
    VideoProbe,
    VideoProgress,
    VideoState,
)
from telegemini.core.i18n import Duration, Translator
from telegemini.core.models import Activity, ImagePart, OutgoingVideo, Reply
from telegemini.core.ports import ChatOutput, Store
from telegemini.core.text import clip_utf16
from telegemini.errors import CorruptMedia, UpstreamError, UserFacingError

log = logging.getLogger(__name__)

MB = 1024 * 1024
CAPTION_LIMIT = 1024


@dataclass(frozen=True, slots=True)
class VideoConfig:
    timeout: float = 600.0  # VIDEO_TIMEOUT: then the clip is given up on and refunded
    poll_interval: float = 5.0  # seconds between looks at the model (and progress updates)
    lease: float = 60.0  # an instance that stops renewing this long loses its jobs
    max_bytes: int = 50 * MB  # Telegram's upload limit for sendVideo


def new_video_id() -> str:
    return secrets.token_urlsafe(8)


def instance_name() -> str:
    return f"{socket.gethostname()[:32]}-{os.getpid()}-{secrets.token_hex(3)}"


class VideoStudio:
    """Films clips and delivers them; ``available`` is False when the model is not there."""

    def __init__(
        self,
        generator: VideoGenerator,
        probe: VideoProbe,
        jobs: VideoJobs,
        store: Store,
        outputs: ChatOutputs | None,
        config: VideoConfig | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._generator = generator
        self._probe = probe
        self.jobs = jobs
        self._store = store
        self._outputs = outputs
        self.config = config or VideoConfig()
        self._clock = clock
        self.available = True
        self.owner = instance_name()
        self._watchers: dict[str, asyncio.Task[None]] = {}

    @property
    def watching(self) -> int:
        """Clips this instance is waiting for."""
        return len(self._watchers)

    # --- a new clip ----------------------------------------------------------------------------

    async def film(
        self,
        job: VideoJob,
        references: list[ImagePart],
        out: ChatOutput,
        t: Translator,
        *,
        model_prompt: str | None = None,
    ) -> None:
        """Start the clip (already charged: ``job.charged`` units of ``job.day``), store it and
        hand it to a watcher. A refusal or an error before the model took it is refunded and
        raised (the caller explains it). ``model_prompt``: what the model is asked, when it
        differs from the prompt shown (``job.prompt``)."""
        status: int | None = None
        try:
            status = await out.send_status(t("video.filming", duration=Duration(0)))
            job = replace(job, status_message_id=status, created_at=self._clock())
            await self.jobs.add(job, owner=self.owner, lease=self.config.lease)
            async with out.activity(Activity.RECORDING_VIDEO):
                interaction = await self._generator.start(
                    model_prompt or job.prompt,
                    aspect_ratio=job.aspect_ratio,
                    seconds=job.seconds,
                    references=references,
                )
        except BaseException:
            await self.jobs.finish(job.id, VideoState.FAILED, owner=self.owner)
            await self._refund(job)
            if status is not None:
                with contextlib.suppress(Exception):
                    await out.delete(status)
            raise
        job = replace(job, interaction_id=interaction)
        await self.jobs.update(job)
        log.info("video %s: filming as %s", job.id, interaction)
        self._watch(job, out, t)

    # --- watching ------------------------------------------------------------------------------

    def _watch(self, job: VideoJob, out: ChatOutput, t: Translator) -> None:
        task = asyncio.create_task(self._follow(job, out, t), name=f"video-{job.id}")
        self._watchers[job.id] = task
        task.add_done_callback(lambda _: self._watchers.pop(job.id, None))

    async def _follow(self, job: VideoJob, out: ChatOutput, t: Translator) -> None:
        try:
            async with out.activity(Activity.RECORDING_VIDEO):
                progress = await self._wait(job, out, t)
            if progress is None:
                return  # another instance has it now
            if progress.video is not None:
                await self._deliver(job, progress.video, out, t)
            else:
                await self._fail(job, progress.reason, out, t, detail=progress.detail)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("video %s: watching failed", job.id)
            await self._fail(job, "failed", out, t)

    async def _wait(self, job: VideoJob, out: ChatOutput, t: Translator) -> VideoProgress | None:
        """Poll until the clip is done, failed or too late; None when the lease was lost."""
        if job.interaction_id is None:  # the instance died before the model took it
            return VideoProgress(running=False, reason="lost")
        while True:
            await asyncio.sleep(self.config.poll_interval)
            if not await self.jobs.renew(job.id, owner=self.owner, lease=self.config.lease):
                log.info("video %s: taken over by another instance", job.id)
                return None
            elapsed = self._clock() - job.created_at
            if elapsed > self.config.timeout:
                return VideoProgress(running=False, reason="timeout")
            try:
                progress = await self._generator.check(job.interaction_id)
            except UpstreamError as exc:  # a hiccup: the clip is still being made
                log.warning("video %s: checking failed, will retry: %s", job.id, exc)
                continue
            except UserFacingError as exc:
                return VideoProgress(running=False, reason="failed", detail=str(exc))
            if not progress.running:
                return progress
            await self._show(job, out, t("video.filming", duration=Duration(round(elapsed))))

    async def _show(self, job: VideoJob, out: ChatOutput, text: str) -> None:
        if job.status_message_id is None:
            return
        try:
            await out.edit(job.status_message_id, Reply(text, markdown=False))
        except Exception as exc:  # a progress line is never worth failing the clip
            log.debug("video progress update failed: %s", exc)

    async def _deliver(self, job: VideoJob, data: bytes, out: ChatOutput, t: Translator) -> None:
        if len(data) > self.config.max_bytes:
            await self._fail(job, "too_large", out, t)
            return
        try:
            width, height, seconds = await self._probe.shape(data)
        except CorruptMedia:
            await self._fail(job, "failed", out, t, detail="undecodable MP4")
            return
        if not await self.jobs.finish(job.id, VideoState.SENDING, owner=self.owner):
            return  # delivered (or explained) elsewhere
        caption = clip_utf16(t("video.caption", prompt=job.prompt), CAPTION_LIMIT)
        try:
            if job.status_message_id is not None:
                await out.delete(job.status_message_id)
            await out.send_video(OutgoingVideo(data, width, height, seconds, caption=caption))
        except Exception:
            log.exception("video %s: could not be sent", job.id)
            await self._refund(job)
            await self.jobs.finish(job.id, VideoState.FAILED, owner=self.owner)
            return
        await self.jobs.finish(job.id, VideoState.DELIVERED, owner=self.owner)
        log.info("video %s delivered (%dx%d, %.1f s)", job.id, width, height, seconds)

    async def _fail(
        self, job: VideoJob, reason: str, out: ChatOutput, t: Translator, *, detail: str = ""
    ) -> None:
        """Explain once, in place of the status message, and give the units back."""
        if not await self.jobs.finish(job.id, VideoState.FAILED, owner=self.owner):
            return
        log.info("video %s not made: %s %s", job.id, reason, detail)
        await self._refund(job)
        key = reason if reason in ("safety", "timeout", "too_large", "lost") else "failed"
        text = t(f"video.not_made_{key}")
        try:
            if job.status_message_id is not None:
                await out.edit(job.status_message_id, Reply(text, markdown=False))
            else:
                await out.send(Reply(text, markdown=False))
        except Exception as exc:
            log.warning("video %s: could not explain the failure: %s", job.id, exc)

    async def _refund(self, job: VideoJob) -> None:
        if job.charged > 0 and job.day:
            await self._store.refund_quota(job.user_id, job.day, "videos", amount=job.charged)

    # --- restarts ------------------------------------------------------------------------------

    async def resume(self, *, everyone: bool = False) -> int:
        """Take over running jobs no instance is polling (``everyone``: all of them, for a
        single instance starting again) and watch them to the end."""
        if self._outputs is None:
            return 0
        taken = await self.jobs.take_orphans(
            owner=self.owner, lease=self.config.lease, everyone=everyone
        )
        for job in taken:
            if job.id in self._watchers:
                continue
            out = self._outputs.open(job.chat, thread_id=job.thread_id, user_id=job.user_id)
            log.info("video %s: resuming %s", job.id, job.interaction_id)
            self._watch(job, out, Translator(job.language))
        return len(taken)

    async def run(self) -> None:
        """Take over the jobs of instances that died, every lease period."""
        while True:
            try:
                await self.resume()
            except Exception:
                log.exception("could not look for video jobs to resume")
            await asyncio.sleep(self.config.lease)

    async def stop(self) -> None:
        """Stop watching; the jobs stay stored and the next start (or another instance) takes
        them at once."""
        tasks = list(self._watchers.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(Exception):
            await self.jobs.release(self.owner)
