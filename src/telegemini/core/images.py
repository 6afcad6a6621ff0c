"""Images with the image model: generate, edit with reference photos, variants, albums, HD."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import Protocol

from telegemini.core.buttons import ImageAction, ImagePress
from telegemini.core.i18n import Duration, Translator
from telegemini.core.models import (
    ASPECT_RATIOS,
    Activity,
    Attachment,
    AttachmentKind,
    Button,
    GeneratedImage,
    ImageJob,
    ImagePart,
    OutgoingPhoto,
    Reply,
)
from telegemini.core.ports import ChatOutput, FileSource, ImageCodec, ImageGenerator, Store
from telegemini.core.text import clip_utf16
from telegemini.errors import EmptyPrompt, InputTooLarge, TooManyReferences

log = logging.getLogger(__name__)

MB = 1024 * 1024
CAPTION_LIMIT = 1024  # UTF-16 code units, as Telegram counts them
STANDARD, HD = "2K", "4K"
RATIO_BUTTONS = ("1:1", "16:9", "9:16", "4:3", "3:4")
_RATIO_WORD = re.compile(r"^\s*(\d{1,2}:\d{1,2})\b\s*")


@dataclass(frozen=True, slots=True)
class ImageConfig:
    reuse_seconds: float = 3600.0  # an identical request within this time reuses the photo
    progress_interval: float = 5.0  # seconds between "Generating… N s" updates
    batch_size: int = 4
    max_download_bytes: int = 20 * MB


def split_ratio(prompt: str) -> tuple[str | None, str]:
    """``"16:9 a harbour at dusk"`` → ``("16:9", "a harbour at dusk")``."""
    match = _RATIO_WORD.match(prompt)
    if match and match.group(1) in ASPECT_RATIOS:
        return match.group(1), prompt[match.end() :].strip()
    return None, prompt.strip()


def request_key(job: ImageJob) -> str:
    """Identical requests share this key: same prompt (case and spacing aside), size, ratio and
    reference photos."""
    prompt = " ".join(job.prompt.lower().split())
    raw = "\x1f".join([prompt, job.size, job.aspect_ratio or "", *job.reference_ids])
    return hashlib.sha256(raw.encode()).hexdigest()


def job_buttons(
    job: ImageJob, t: Translator, *, animate: bool = False
) -> tuple[tuple[Button, ...], ...]:
    """🔄 variant · ⬆️ HD · 🎬 Animate (when the video model is there) · ×4, then the ratios."""
    actions = [Button(t("image.button_variant"), ImagePress(ImageAction.VARIANT, job.id))]
    if job.size != HD:
        actions.append(Button(t("image.button_hd"), ImagePress(ImageAction.HD, job.id)))
    if animate:
        actions.append(Button(t("video.button_animate"), ImagePress(ImageAction.ANIMATE, job.id)))
    actions.append(Button(t("image.button_batch"), ImagePress(ImageAction.BATCH, job.id)))
    ratios = tuple(
        Button(
            f"✓ {r}" if r == (job.aspect_ratio or "1:1") else r,
            ImagePress(ImageAction.RATIO, job.id, ratio=r),
        )
        for r in RATIO_BUTTONS
    )
    return (tuple(actions), ratios)


def caption(job: ImageJob, image: GeneratedImage | None, t: Translator) -> str:
    said = image.text.strip() if image is not None else ""
    text = t("image.caption", prompt=job.prompt)
    if said:
        text = f"{text}\n\n{said}"
    return clip_utf16(text, CAPTION_LIMIT)


class Bill(Protocol):
    async def refund(self, amount: int | None = None) -> None: ...


class Payer(Protocol):
    """Who pays for the images of one request (quota units, given back if they fail)."""

    async def charge(self, kind: str, amount: int = 1) -> Bill: ...


class _Free:
    async def charge(self, kind: str, amount: int = 1) -> Bill:
        return self

    async def refund(self, amount: int | None = None) -> None:
        return None


FREE: Payer = _Free()


def kind_of(job: ImageJob) -> str:
    """The quota an image draws on."""
    return "hd_images" if job.size == HD else "images"


class ImageService:
    def __init__(
        self,
        generator: ImageGenerator,
        codec: ImageCodec,
        files: FileSource,
        store: Store,
        config: ImageConfig | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._generator = generator
        self._codec = codec
        self._files = files
        self._store = store
        self.config = config or ImageConfig()
        self._clock = clock
        self.animate: Callable[[], bool] = lambda: False  # 🎬 shown: the video model is there

    def _buttons(self, job: ImageJob, t: Translator) -> tuple[tuple[Button, ...], ...]:
        return job_buttons(job, t, animate=self.animate())

    def new_job(
        self,
        *,
        chat_id: int,
        user_id: int,
        prompt: str,
        size: str = STANDARD,
        aspect_ratio: str | None = None,
        references: tuple[Attachment, ...] = (),
    ) -> ImageJob:
        for reference in references:
            if reference.size is not None and reference.size > self.config.max_download_bytes:
                raise InputTooLarge("reference photo", limit_mb=self.config.max_download_bytes / MB)
        return ImageJob(
            id=secrets.token_urlsafe(8),
            chat_id=chat_id,
            user_id=user_id,
            prompt=prompt.strip(),
            size=size,
            aspect_ratio=aspect_ratio,
            reference_ids=tuple(r.file_id for r in references),
            created_at=self._clock(),
        )

    async def look_at(self, photo: Attachment) -> ImagePart:
        """A photo for the chat model to see (size checked before the download)."""
        if photo.size is not None and photo.size > self.config.max_download_bytes:
            raise InputTooLarge("photo", limit_mb=self.config.max_download_bytes / MB)
        return ImagePart(await self._files.fetch(photo), "image/jpeg")

    def derive(self, job: ImageJob, **changes: object) -> ImageJob:
        """A new job repeating ``job`` with some changes (variant, HD, another ratio)."""
        fresh = {"id": secrets.token_urlsafe(8), "photo_file_id": None, "created_at": self._clock()}
        return replace(job, **{**fresh, **changes})  # type: ignore[arg-type]

    def _check(self, job: ImageJob) -> None:
        if not job.prompt:
            raise EmptyPrompt("image prompt")
        limit = self._generator.max_references
        if len(job.reference_ids) > limit:
            raise TooManyReferences(f"{len(job.reference_ids)}", limit=limit)

    async def create(
        self,
        job: ImageJob,
        out: ChatOutput,
        t: Translator,
        *,
        fresh: bool = False,
        payer: Payer = FREE,
    ) -> None:
        """Make one image and send it (a photo; for HD also the original as a document).
        A reused photo costs nothing; a failed one is refunded."""
        self._check(job)
        if not fresh:
            earlier = await self._store.find_image(
                job, since=self._clock() - self.config.reuse_seconds
            )
            if earlier is not None and earlier.photo_file_id:
                log.info("image %s reuses the photo of %s", job.id, earlier.id)
                await out.send_photo(
                    OutgoingPhoto(
                        file_id=earlier.photo_file_id,
                        caption=caption(earlier, None, t),
                        buttons=self._buttons(earlier, t),
                    )
                )
                return
        bill = await payer.charge(kind_of(job))
        try:
            async with self._progress(out, t):
                image = await self._generate(job)
                photo = await self._codec.to_photo(image.data)
        except BaseException:
            await bill.refund()
            raise
        await self._store.save_image_job(job)
        file_id = await out.send_photo(
            OutgoingPhoto(data=photo, caption=caption(job, image, t), buttons=self._buttons(job, t))
        )
        await self._store.save_image_job(replace(job, photo_file_id=file_id))
        if job.size == HD:
            extension = "png" if image.mime_type == "image/png" else "jpg"
            await out.send_document(
                image.data, filename=f"image-{job.id}.{extension}", caption=t("image.original")
            )

    async def create_batch(
        self, job: ImageJob, out: ChatOutput, t: Translator, *, payer: Payer = FREE
    ) -> None:
        """Several variants at once, sent as one album. Failed variants are left out and
        refunded: a batch of 4 costs as many units as images delivered."""
        self._check(job)
        count = self.config.batch_size
        bill = await payer.charge(kind_of(job), count)
        try:
            async with self._progress(out, t):
                images = await self._variants(job, count)
                photos = await asyncio.gather(*(self._codec.to_photo(i.data) for i in images))
        except BaseException:
            await bill.refund()
            raise
        await bill.refund(count - len(images))
        await self._store.save_image_job(job)
        if len(photos) == 1:
            first = OutgoingPhoto(
                data=photos[0], caption=caption(job, images[0], t), buttons=self._buttons(job, t)
            )
            await out.send_photo(first)
            return
        album = [OutgoingPhoto(data=photo) for photo in photos]
        album[0] = replace(album[0], caption=caption(job, images[0], t))
        await out.send_album(album)

    async def _variants(self, job: ImageJob, count: int) -> list[GeneratedImage]:
        """``count`` images made at once; the ones that failed are dropped, unless all did."""
        references = await self._references(job)
        results = await asyncio.gather(
            *(self._generate(job, references) for _ in range(count)), return_exceptions=True
        )
        images = [r for r in results if isinstance(r, GeneratedImage)]
        if not images:
            raise next(r for r in results if isinstance(r, BaseException))
        return images

    async def _references(self, job: ImageJob) -> list[ImagePart]:
        return [
            ImagePart(
                await self._files.fetch(Attachment(AttachmentKind.PHOTO, file_id)), "image/jpeg"
            )
            for file_id in job.reference_ids
        ]

    async def _generate(
        self, job: ImageJob, references: list[ImagePart] | None = None
    ) -> GeneratedImage:
        if references is None:
            references = await self._references(job)
        return await self._generator.generate(
            job.prompt, size=job.size, aspect_ratio=job.aspect_ratio, references=references
        )

    @contextlib.asynccontextmanager
    async def _progress(self, out: ChatOutput, t: Translator) -> AsyncIterator[None]:
        """ "Generating… N s", refreshed, plus "sending photo…"; removed whatever happens, so a
        failure never leaves the chat stuck on "Generating…"."""
        started = self._clock()
        status = await out.send_status(t("image.generating", duration=Duration(0)))

        async def tick() -> None:
            while True:
                await asyncio.sleep(self.config.progress_interval)
                seconds = round(self._clock() - started)
                try:
                    shown = t("image.generating", duration=Duration(seconds))
                    await out.edit(status, Reply(shown, False))
                except Exception as exc:  # a progress line is never worth failing the image
                    log.debug("progress update failed: %s", exc)

        ticker = asyncio.create_task(tick())
        try:
            async with out.activity(Activity.UPLOADING_PHOTO):
                yield
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            try:
                await out.delete(status)
            except Exception as exc:
                log.debug("could not delete the progress message: %s", exc)
