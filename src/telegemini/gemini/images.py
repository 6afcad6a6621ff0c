"""Image generation and editing on Gemini's image model (Nano Banana Pro) via Interactions."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from telegemini.core.models import GeneratedImage, ImagePart
from telegemini.errors import ImageNotMade, UpstreamUnavailable
from telegemini.gemini.chat import content_block
from telegemini.gemini.errors import looks_like_safety
from telegemini.gemini.retry import RetryPolicy, call_with_retries
from telegemini.gemini.sdk import LazyClient, ready

if TYPE_CHECKING:
    from google import genai


class GeminiImages:
    """``ImageGenerator`` on ``IMAGE_MODEL``. Sizes and the reference limit are data, so the
    core never has to probe what the model can do."""

    sizes: tuple[str, ...] = ("1K", "2K", "4K")
    max_references = 14

    def __init__(
        self,
        client: genai.Client | LazyClient,
        *,
        model: str,
        timeout: float,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._client = client
        self._model = model
        self._timeout = timeout
        self._retry = retry or RetryPolicy()

    async def generate(
        self,
        prompt: str,
        *,
        size: str,
        aspect_ratio: str | None,
        references: list[ImagePart],
    ) -> GeneratedImage:
        image_format: dict[str, Any] = {"type": "image", "image_size": size}
        if aspect_ratio:
            image_format["aspect_ratio"] = aspect_ratio
        content = [{"type": "text", "text": prompt}, *(content_block(r) for r in references)]

        async def call(seconds: float) -> Any:
            return await (await ready(self._client)).aio.interactions.create(
                model=self._model,
                input=[{"type": "user_input", "content": content}],
                response_format=[image_format],
                store=False,
                timeout=min(self._timeout, seconds),
            )

        interaction = await call_with_retries(
            self._retry,
            call,
            "gemini image",
            total=self._timeout,
            model=("IMAGE_MODEL", self._model),
        )
        return _image_of(interaction)


def _image_of(interaction: Any) -> GeneratedImage:
    status = getattr(interaction, "status", None)
    text = (getattr(interaction, "output_text", None) or "").strip()
    if status not in (None, "completed", "incomplete"):
        detail = str(getattr(interaction, "errors", None) or status)
        if looks_like_safety(detail):
            raise ImageNotMade(detail, reason="safety")
        raise UpstreamUnavailable(f"image interaction {status}: {detail}")
    image = getattr(interaction, "output_image", None)
    if image is None or not image.data:
        if text:
            raise ImageNotMade("text only", reason="text_only", text=text)
        raise ImageNotMade("no image", reason="no_image")
    try:
        data = base64.b64decode(image.data)
    except (binascii.Error, ValueError) as exc:
        raise UpstreamUnavailable("undecodable image") from exc
    return GeneratedImage(data=data, mime_type=image.mime_type or "image/png", text=text)
