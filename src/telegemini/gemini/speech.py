"""Gemini TTS through the Interactions API (one unary call per piece of text).

The request is the 3.8 shape (reference §3.2): the input is a list of content blocks whose text
is a verbatim transcript, the tone of voice rides along as one unranged ``speech_metadata``
annotation (ranged ones must tile the text, per a third party's live test), and the voice is
named in a *list* ``speech_config``: ``[{"voice": "Kore"}]``. The bare ``{"voice": …}`` object is
rejected by the live server (400 "Unknown parameter 'voice'"), and 3.8 rejects ``temperature`` /
``top_p`` / ``top_k``, so none is sent. The answer is WAV on 3.8 (raw PCM on older models): the
audio codec sniffs which.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from telegemini.core.models import Speech
from telegemini.core.voice import VOICES
from telegemini.errors import ModelRefused, UpstreamUnavailable
from telegemini.gemini.errors import looks_like_safety
from telegemini.gemini.retry import RetryPolicy, call_with_retries
from telegemini.gemini.sdk import LazyClient, ready

if TYPE_CHECKING:
    from google import genai


def speech_input(text: str, style: str | None) -> list[dict[str, Any]]:
    """The TTS input: one text block, annotated with the style when there is one."""
    block: dict[str, Any] = {"type": "text", "text": text}
    if style:
        block["annotations"] = [{"type": "speech_metadata", "style": style}]
    return [block]


class GeminiSpeech:
    """``SpeechSynthesizer`` on a Gemini TTS model (``TTS_MODEL``)."""

    voices: tuple[str, ...] = VOICES

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

    async def synthesize(self, text: str, *, voice: str, style: str | None = None) -> Speech:
        # Unary on purpose: measured against streaming (bench/bench_voice.py), the SDK parses one
        # 2 MB answer in ~20 ms but takes ~400 ms and stalls the loop ~100 ms on the SSE deltas.
        async def call(seconds: float) -> Any:
            return await (await ready(self._client)).aio.interactions.create(
                model=self._model,
                input=speech_input(text, style),
                response_modalities=["audio"],
                generation_config={"speech_config": [{"voice": voice}]},
                store=False,
                timeout=min(self._timeout, seconds),
            )

        interaction = await call_with_retries(
            self._retry, call, "gemini tts", total=self._timeout, model=("TTS_MODEL", self._model)
        )
        status = getattr(interaction, "status", None)
        if status not in (None, "completed", "incomplete"):
            detail = str(getattr(interaction, "errors", None) or status)
            raise ModelRefused(detail) if looks_like_safety(detail) else UpstreamUnavailable(detail)
        audio = interaction.output_audio
        if audio is None or not audio.data:
            raise UpstreamUnavailable("the speech model returned no audio")
        try:
            data = base64.b64decode(audio.data)
        except (binascii.Error, ValueError) as exc:
            raise UpstreamUnavailable("undecodable audio") from exc
        rate = getattr(audio, "sample_rate", None)
        return Speech(data=data, mime_type=audio.mime_type or "audio/l16", sample_rate=rate)
