"""Two small Gemini calls made directly: does a model exist (``models.get``), and a cheap
authenticated call (``countTokens``). ``doctor`` (and so every ``telegemini run``) and the
start-up's look at ``VIDEO_MODEL`` use them; going through google-genai would load the SDK
(~18 MB for the life of the process) before anything needs it. Same URLs, headers and bodies as
the pinned SDK (``tests/unit/gemini/test_stream_contract.py`` compares them).
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from telegemini.gemini.errors import from_status
from telegemini.gemini.stream import (
    API_VERSION,
    CLIENT_HEADER,
    DEFAULT_BASE_URL,
    Model,
    error_message,
)


class GeminiRest:
    """One aiohttp session for a few calls; use as ``async with``."""

    def __init__(self, *, api_key: str | None, base_url: str | None = None) -> None:
        self._root = f"{(base_url or DEFAULT_BASE_URL).rstrip('/')}/{API_VERSION}/models"
        self._headers = {"user-agent": CLIENT_HEADER, "x-goog-api-client": CLIENT_HEADER}
        if api_key:
            self._headers["x-goog-api-key"] = api_key
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> GeminiRest:
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def get_model(self, name: str, *, seconds: float, model: Model = None) -> None:
        """Raises our error when the model is not there for this key (404 → ``ModelMissing``
        with ``model``'s setting), or the call fails."""
        await self._call("GET", f"{self._root}/{name}", None, seconds, model)

    async def count_tokens(self, name: str, text: str, *, seconds: float) -> None:
        body = {"contents": [{"parts": [{"text": text}], "role": "user"}]}
        await self._call(
            "POST", f"{self._root}/{name}:countTokens", body, seconds, ("CHAT_MODEL", name)
        )

    async def _call(
        self, verb: str, url: str, body: dict[str, Any] | None, seconds: float, model: Model
    ) -> None:
        assert self._session is not None, "use GeminiRest as `async with`"
        headers = dict(self._headers)
        data = None
        if body is not None:
            headers["content-type"] = "application/json"
            data = json.dumps(body).encode()
        timeout = aiohttp.ClientTimeout(total=seconds)
        async with self._session.request(
            verb, url, data=data, headers=headers, timeout=timeout
        ) as response:
            raw = await response.read()
            if response.status >= 400:
                raise from_status(
                    response.status, error_message(raw), response.headers, model=model
                )
