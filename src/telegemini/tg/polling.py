"""Long polling as a thin feeder of the durable inbox.

Each ``getUpdates`` batch is stored whole, in one transaction, and only then does the offset
move past it: Telegram forgets an update once a later call confirms it, so an update that could
not be stored is never confirmed. While the database is away the poller keeps trying to store
the same batch (with backoff) and asks Telegram for nothing new; Telegram holds the rest.

Updates are read as JSON (no aiogram models): they are stored as they came and decoded once,
when the inbox pump hands them to the dispatcher.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramConflictError, TelegramUnauthorizedError
from aiogram.methods import TelegramMethod

from telegemini.errors import TokenRejected

log = logging.getLogger(__name__)

POLL_TIMEOUT = 10  # seconds Telegram holds a getUpdates open when there is nothing to send
FIRST_BACKOFF, MAX_BACKOFF = 0.25, 10.0
STORE_GRACE = 3.0  # seconds a store under way gets to finish at shutdown

Store = Callable[[Sequence[dict[str, Any]], str], Awaitable[set[int]]]


class GetRawUpdates(TelegramMethod[list[dict[str, Any]]]):
    """``getUpdates`` whose result stays JSON: the inbox stores updates as Telegram sent them."""

    __returning__ = list[dict[str, Any]]
    __api_method__ = "getUpdates"

    offset: int | None = None
    limit: int | None = None
    timeout: int | None = None
    allowed_updates: list[str] | None = None


class LongPoller:
    def __init__(
        self,
        bot: Bot,
        store: Store,
        *,
        allowed_updates: list[str],
        timeout: int = POLL_TIMEOUT,
        on_fatal: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._bot = bot
        self._store = store
        self._allowed = allowed_updates
        self._timeout = timeout
        self._on_fatal = on_fatal
        self._offset: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._storing = False  # a store call is under way: let it finish, never cut it off
        self._stopping = False

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="long-polling")

    async def stop(self) -> None:
        """Stop asking. A store call under way finishes first; a batch not yet stored stays
        unconfirmed, and Telegram hands it out again at the next start."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        if self._storing:
            # A store hanging on a dying database must not hold up the shutdown for long.
            await asyncio.wait({task}, timeout=STORE_GRACE)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _run(self) -> None:
        backoff = FIRST_BACKOFF
        while not self._stopping:
            method = GetRawUpdates(
                offset=self._offset, timeout=self._timeout, allowed_updates=self._allowed
            )
            try:
                # The request may last the whole long poll, plus the session's own timeout.
                updates = await self._bot(method, request_timeout=self._timeout + 30)
            except TelegramUnauthorizedError:
                log.critical("Telegram rejected the bot token (401): polling stopped")
                if self._on_fatal is not None:
                    self._on_fatal(TokenRejected())
                return
            except TelegramConflictError:
                log.error(  # noqa: TRY400 - the cause is in the words; a traceback adds nothing
                    "getUpdates conflict (409): another instance is polling with this token, "
                    "or a webhook is set; retrying in %.1fs",
                    backoff,
                )
                backoff = await _pause(backoff)
                continue
            except Exception as exc:
                log.warning("getUpdates failed (%s); retrying in %.1fs", exc, backoff)
                backoff = await _pause(backoff)
                continue
            backoff = FIRST_BACKOFF
            if updates:
                if not await self._store_batch(updates):
                    return  # stopping: the batch stays with Telegram
                self._offset = max(u["update_id"] for u in updates) + 1

    async def _store_batch(self, updates: list[dict[str, Any]]) -> bool:
        """Until the whole batch is stored (a redelivered part counts as stored); False when
        the poller is stopped before that."""
        backoff = FIRST_BACKOFF
        while not self._stopping:
            self._storing = True
            try:
                await self._store(updates, "polling")
                return True
            except Exception:
                log.exception(
                    "could not store %d updates; not confirming them to Telegram, "
                    "retrying in %.1fs",
                    len(updates),
                    backoff,
                )
            finally:
                self._storing = False
            if not self._stopping:
                backoff = await _pause(backoff)
        return False


async def _pause(backoff: float) -> float:
    await asyncio.sleep(backoff)
    return min(backoff * 2, MAX_BACKOFF)
