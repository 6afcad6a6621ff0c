"""The process's google-genai client, made on first use.

Speech, images and video go through the SDK; chat does not (``gemini/stream.py``), and neither do
``doctor`` and the start-up checks (``gemini/rest.py``). Importing the SDK costs ~18 MB of
resident memory for the life of the process, so a bot that has not spoken, drawn or filmed yet
has not loaded it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from telegemini.settings import Settings

if TYPE_CHECKING:
    from google import genai

log = logging.getLogger(__name__)


class LazyClient:
    """Stands in for ``genai.Client`` where only ``.aio`` is used."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: genai.Client | None = None
        self._loading = asyncio.Lock()

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

    async def load(self) -> None:
        """Import the SDK, make the client and warm it up in a worker thread: ~0.6 s of imports
        and ~0.1 s of first-call work (TLS settings, the Interactions client, its models) that
        would otherwise stall the event loop, every chat, on the first voice reply, picture or
        clip."""
        async with self._loading:
            if self._client is None:
                self._client = await asyncio.to_thread(_warm_client, self._settings)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aio.aclose()


def _warm_client(settings: Settings) -> genai.Client:
    from telegemini.gemini.client import make_client, warm_up  # the SDK, and our patches of it

    client = make_client(settings)
    try:
        warm_up(client)
    except Exception:  # only a head start: the SDK builds what it needs on its first call anyway
        log.warning("could not warm up the Gemini SDK; its first call will", exc_info=True)
    return client


async def ready(client: genai.Client | LazyClient) -> genai.Client | LazyClient:
    """``client``, loaded beside the event loop first if it is not yet (``LazyClient.load``)."""
    if isinstance(client, LazyClient) and not client.loaded:
        await client.load()
    return client
