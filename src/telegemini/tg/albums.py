"""Albums arrive as one update per photo; collect them into one request.

Each part is acknowledged at once (so the chat's ordering lock is never held while waiting for
the next part); once an album has been quiet for ``quiet`` seconds its parts are merged into
one ``IncomingMessage`` and handled under the conversation's lock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from telegemini.core.models import IncomingMessage
from telegemini.core.ports import ChatLocks

log = logging.getLogger(__name__)

Handler = Callable[[IncomingMessage], Awaitable[None]]
Spawner = Callable[[Awaitable[None]], object]


@dataclass
class _Album:
    parts: list[IncomingMessage] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None


def merge(parts: list[IncomingMessage]) -> IncomingMessage:
    """One message: the first caption found, every attachment in order."""
    ordered = sorted(parts, key=lambda p: p.message_id)
    first = ordered[0]
    text = next((p.text for p in ordered if p.text.strip()), "")
    command = next((p.command for p in ordered if p.command is not None), None)
    attachments = tuple(a for p in ordered for a in p.attachments)
    return replace(first, text=text, command=command, attachments=attachments, unsupported=False)


class AlbumCollector:
    def __init__(
        self, locks: ChatLocks, handle: Handler, spawn: Spawner, *, quiet: float = 0.8
    ) -> None:
        self._locks = locks
        self._handle = handle
        self._spawn = spawn
        self._quiet = quiet
        self._albums: dict[tuple[int, str], _Album] = {}

    def collecting(self, chat_id: int, group_id: str) -> bool:
        return (chat_id, group_id) in self._albums

    def add(self, group_id: str, part: IncomingMessage) -> None:
        key = (part.chat.id, group_id)
        album = self._albums.setdefault(key, _Album())
        album.parts.append(part)
        if album.timer is not None:
            album.timer.cancel()
        album.timer = asyncio.get_running_loop().call_later(self._quiet, self._fire, key)

    def _fire(self, key: tuple[int, str]) -> None:
        album = self._albums.pop(key, None)
        if album is not None and album.parts:
            self._spawn(self._run(merge(album.parts)))

    async def _run(self, message: IncomingMessage) -> None:
        async with self._locks.hold(message.key):
            await self._handle(message)
