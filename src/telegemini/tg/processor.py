"""Update processing: strictly in order within a conversation, concurrently across them, and each
``update_id`` at most once (Telegram delivers at least once)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from telegemini.core.ports import ChatLocks, Store
from telegemini.tg.translate import chat_key

log = logging.getLogger(__name__)


class OrderedUpdateProcessor(BaseUpdateProcessor):
    """PTB hands us each update as a task, in arrival order. Taking the conversation's lock
    before any await keeps that order (asyncio locks are FIFO); the de-duplication claim is made
    under the lock, so a redelivered update can never overtake its first delivery."""

    def __init__(self, locks: ChatLocks, store: Store, max_concurrent_updates: int = 512) -> None:
        super().__init__(max_concurrent_updates)
        self._locks = locks
        self._store = store

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update) if isinstance(update, Update) else None
        if key is None:
            await self._claimed_then_run(update, coroutine)
            return
        async with self._locks.hold(key):
            await self._claimed_then_run(update, coroutine)

    async def _claimed_then_run(self, update: object, coroutine: Awaitable[Any]) -> None:
        try:
            fresh = not isinstance(update, Update) or await self._store.claim_update(
                update.update_id
            )
        except BaseException:
            _discard(coroutine)
            raise
        if not fresh:
            log.info("update %s delivered again; skipped", getattr(update, "update_id", "?"))
            _discard(coroutine)
            return
        await coroutine


def _discard(coroutine: Awaitable[Any]) -> None:
    """Close a handler coroutine that will never run (avoids 'never awaited' warnings)."""
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()
