"""Stop requests for answers being written: the Stop button under a streamed draft, or /stop.

In one process they are a dictionary of events, one per conversation writing an answer; with
several instances, ``redis_stops.RedisStopSignals`` passes them on.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from telegemini.core.models import ChatKey
from telegemini.core.ports import StopFlag


class MemoryStopSignals:
    """``StopSignals`` within one process."""

    def __init__(self) -> None:
        self._writing: dict[ChatKey, tuple[int | None, StopFlag]] = {}

    @contextlib.contextmanager
    def watch(self, key: ChatKey, draft_id: int | None) -> Iterator[StopFlag]:
        event = StopFlag()
        self._writing[key] = (draft_id, event)
        try:
            yield event
        finally:
            current = self._writing.get(key)
            if current is not None and current[1] is event:
                del self._writing[key]

    def deliver(self, key: ChatKey, draft_id: int | None) -> bool:
        """Stop the answer written here in ``key``, if any (and if it is the one named)."""
        current = self._writing.get(key)
        if current is None:
            return False
        writing, event = current
        if draft_id is not None and writing is not None and draft_id != writing:
            return False  # a Stop under an older answer's draft: that one is finished
        event.set()
        return True

    async def request(self, key: ChatKey, draft_id: int | None = None) -> bool:
        return self.deliver(key, draft_id)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None
