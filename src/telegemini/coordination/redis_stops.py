"""Stop requests shared by every instance: the answer may be written by another instance than
the one that received the stop, so the request is published on a Redis channel every instance
listens to, and the one writing the answer stops it.

    {prefix}stop        channel: {"chat": chat_id, "thread": thread_id|null, "draft": id|null}
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

from telegemini.coordination.stops import MemoryStopSignals
from telegemini.core.models import ChatKey

log = logging.getLogger(__name__)


class RedisStopSignals(MemoryStopSignals):
    """``StopSignals`` shared by every instance through a Redis channel."""

    def __init__(self, redis: Redis, *, prefix: str = "telegemini:") -> None:
        super().__init__()
        self._redis = redis
        self._channel = f"{prefix}stop"
        self._listening: asyncio.Task[None] | None = None

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "telegemini:") -> RedisStopSignals:
        return cls(Redis.from_url(url), prefix=prefix)

    async def request(self, key: ChatKey, draft_id: int | None = None) -> bool:
        if self.deliver(key, draft_id):
            return True
        message = json.dumps({"chat": key.chat_id, "thread": key.thread_id, "draft": draft_id})
        try:
            await self._redis.publish(self._channel, message)
        except RedisError as exc:  # Redis away: the stop reaches only this instance
            log.warning("could not pass a stop request to the other instances: %s", exc)
        return False

    async def start(self) -> None:
        self._listening = asyncio.create_task(self._listen(), name="stop-requests")

    async def close(self) -> None:
        if self._listening is not None:
            self._listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listening
            self._listening = None
        await self._redis.aclose()

    async def _listen(self) -> None:
        backoff = 0.5
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    backoff = 0.5
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._heard(message.get("data"))
            except RedisError as exc:
                log.warning("stop requests from other instances unheard (%s); retrying", exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    def _heard(self, data: object) -> None:
        try:
            request = json.loads(data if isinstance(data, str | bytes) else "")
            key = ChatKey(int(request["chat"]), request["thread"])
            draft = request["draft"]
        except (ValueError, KeyError, TypeError):
            log.warning("a malformed stop request on the channel was ignored")
            return
        self.deliver(key, draft if isinstance(draft, int) else None)
