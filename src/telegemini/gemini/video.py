"""Clips from Gemini Omni (``VIDEO_MODEL``) through the Interactions API: a ``background``
interaction created at once (``in_progress``), then ``get`` until it is ``completed`` with an MP4
or ``failed``. Veo is gone from the Developer API (``models.generate_videos`` raises there);
see ``../shared/reference/gemini-api-2026-12.md`` §5.2.

Not confirmed by the sources (handled defensively): how a blocked prompt looks on Interactions
(a ``failed`` status whose error mentions safety, a 400 at create, or ``completed`` without a
video block are all read as a refusal), and how a ``uri``-delivered clip is fetched (we ask for
``delivery: inline``; a ``uri`` answer is downloaded with the API key, as the Files API is).
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import TYPE_CHECKING, Any

import aiohttp

from telegemini.core.clips import VideoProgress
from telegemini.core.models import ImagePart
from telegemini.errors import ModelMissing, ModelRefused, UpstreamUnavailable, VideoNotMade
from telegemini.gemini.chat import content_block
from telegemini.gemini.errors import looks_like_safety, map_exception
from telegemini.gemini.rest import GeminiRest
from telegemini.gemini.retry import RetryPolicy, call_with_retries
from telegemini.gemini.sdk import LazyClient, ready

if TYPE_CHECKING:
    from google import genai


log = logging.getLogger(__name__)

FINISHED = ("completed", "failed", "cancelled", "incomplete")
CALL_TIMEOUT = 30.0  # seconds for one create or get (the clip itself takes minutes)


class GeminiVideo:
    """``VideoGenerator`` on ``VIDEO_MODEL``."""

    def __init__(
        self,
        client: genai.Client | LazyClient,
        *,
        model: str,
        resolution: str = "720p",
        api_key: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._client = client
        self._model = model
        self._resolution = resolution
        self._api_key = api_key
        self._retry = retry or RetryPolicy()

    async def start(
        self, prompt: str, *, aspect_ratio: str, seconds: int, references: list[ImagePart]
    ) -> str:
        content = [{"type": "text", "text": prompt}, *(content_block(r) for r in references)]
        video_format = {
            "type": "video",
            "aspect_ratio": aspect_ratio,
            "duration": f"{seconds}s",
            "resolution": self._resolution,
            "delivery": "inline",
        }

        async def call(left: float) -> Any:
            return await (await ready(self._client)).aio.interactions.create(
                model=self._model,
                input=[{"type": "user_input", "content": content}],
                response_modalities=["video"],
                response_format=video_format,
                background=True,  # needs store (the default): the result is fetched later
                timeout=min(CALL_TIMEOUT, left),
            )

        try:
            interaction = await call_with_retries(
                self._retry,
                call,
                "gemini video",
                total=CALL_TIMEOUT * 2,
                model=("VIDEO_MODEL", self._model),
            )
        except ModelRefused as exc:
            raise VideoNotMade(str(exc), reason="safety") from exc
        progress = await self._progress(interaction)
        if not progress.running and progress.video is None:
            raise VideoNotMade(progress.detail, reason=progress.reason)
        return str(interaction.id)

    async def check(self, interaction_id: str) -> VideoProgress:
        async def call(left: float) -> Any:
            return await (await ready(self._client)).aio.interactions.get(
                id=interaction_id, timeout=min(CALL_TIMEOUT, left)
            )

        interaction = await call_with_retries(
            self._retry, call, "gemini video check", total=CALL_TIMEOUT * 2
        )
        return await self._progress(interaction)

    async def _progress(self, interaction: Any) -> VideoProgress:
        status = getattr(interaction, "status", None)
        if status not in FINISHED:
            return VideoProgress(running=True)
        detail = str(getattr(interaction, "errors", None) or status)
        if status != "completed":
            reason = "safety" if looks_like_safety(detail) else "failed"
            return VideoProgress(running=False, reason=reason, detail=detail)
        video = getattr(interaction, "output_video", None)
        if video is None or not (video.data or video.uri):
            text = (getattr(interaction, "output_text", None) or "").strip()
            # Completed without a clip: the model declined (what a refusal looks like here).
            return VideoProgress(running=False, reason="safety", detail=text or "no video")
        if video.data:
            try:
                return VideoProgress(running=False, video=base64.b64decode(video.data))
            except (binascii.Error, ValueError):
                return VideoProgress(running=False, reason="failed", detail="undecodable video")
        return VideoProgress(running=False, video=await self._download(str(video.uri)))

    async def _download(self, uri: str) -> bytes:
        headers = {"x-goog-api-key": self._api_key} if self._api_key else {}
        timeout = aiohttp.ClientTimeout(total=CALL_TIMEOUT)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as http,
                http.get(uri, headers=headers) as response,
            ):
                response.raise_for_status()
                data = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise UpstreamUnavailable(f"video download failed: {exc}") from exc
        if not data:
            raise UpstreamUnavailable("empty video download")
        return data


async def video_model_available(rest: GeminiRest, model: str) -> bool:
    """False only when the API says the model is not there (404): a retired or unknown name."""
    try:
        await rest.get_model(model, seconds=CALL_TIMEOUT / 3, model=("VIDEO_MODEL", model))
    except Exception as exc:
        if isinstance(map_exception(exc, model=("VIDEO_MODEL", model)), ModelMissing):
            log.warning("VIDEO_MODEL %s is not available: video is turned off", model)
            return False
        log.info("could not check VIDEO_MODEL %s (%s); video stays on", model, exc)
    return True
