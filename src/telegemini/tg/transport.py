"""The HTTP transport to the Bot API: PTB's ``HTTPXRequest``, with requests that always finish.

Cancelling a task while httpx/httpcore is inside a request can leave the connection pool
holding a request or a connection it never reclaims (encode/httpcore#1093: httpcore 1.0.9,
the latest release, still has it). Each leak takes one of the pool's slots for good; our
"typing…" refresh, cancelled when the reply goes out, leaked about one slot per eight chats, so
the bot stopped answering after some 2,000 chats with every slot taken. Here a request runs in
a task of its own that the caller's cancellation does not reach: the caller stops waiting at
once, the request completes (bounded by its own timeouts) and hands its connection back.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram.request import HTTPXRequest

log = logging.getLogger(__name__)


class CompletingHTTPXRequest(HTTPXRequest):
    """``HTTPXRequest`` whose requests are never cut off half-way by a cancelled caller."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._running: set[asyncio.Task[tuple[int, bytes]]] = set()

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        task = asyncio.create_task(super().do_request(*args, **kwargs), name="bot-api-request")
        self._running.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(self._finished)
        return await asyncio.shield(task)

    def _finished(self, task: asyncio.Task[tuple[int, bytes]]) -> None:
        self._running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # Seen here only when nobody waited for the answer any more.
            log.debug("an abandoned Bot API request failed: %s", task.exception())

    async def shutdown(self) -> None:
        # Requests nobody waits for any more get a moment to finish, then the pool closes.
        if self._running:
            await asyncio.wait(set(self._running), timeout=2.0)
        await super().shutdown()
