"""The process's google-genai client, made on first use.

Speech, images and video go through the SDK; chat does not (``gemini/stream.py``), and neither do
``doctor`` and the start-up checks (``gemini/rest.py``). Importing the SDK costs ~18 MB of
resident memory for the life of the process, so a bot that has not spoken, drawn or filmed yet
has not loaded it.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import TYPE_CHECKING, Any

from telegemini.settings import Settings

if TYPE_CHECKING:
    from google import genai


class LazyClient:
    """Stands in for ``genai.Client`` where only ``.aio`` is used."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: genai.Client | None = None

    @property
    def aio(self) -> Any:
        return self.get().aio

    def get(self) -> genai.Client:
        if self._client is None:
            from telegemini.gemini.client import make_client  # the SDK, and our patches of it

            self._client = make_client(self._settings)
        return self._client

    @property
    def loaded(self) -> bool:
        return self._client is not None

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aio.aclose()


async def ready(client: genai.Client | LazyClient) -> genai.Client | LazyClient:
    """``client``, with the SDK imported first in a worker thread if it is not yet: ~0.4 s of
    imports that would otherwise stall the event loop (every chat) on the first voice reply,
    picture or clip."""
    if isinstance(client, LazyClient) and not client.loaded:
        await asyncio.to_thread(importlib.import_module, "telegemini.gemini.client")
    return client
