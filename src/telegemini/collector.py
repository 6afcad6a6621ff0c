"""When the garbage collector walks everything: between bursts, not in the middle of one.

Under load the objects of the updates in flight (their tasks, coroutines and frames: ~70,000
objects with 256 updates in flight) outlive the young generations and reach the oldest one, and
CPython walks all of it each time it has grown by a quarter: several times a second under load,
45-100 ms each with the event loop stopped, and those walks found nothing to free (measured with
``gc.callbacks`` in bench_throughput). Young collections stay automatic; the full walk runs
when nothing is in flight (then it is short), or at the latest every ``LONGEST_DEFERRAL``
seconds, so garbage that reached the oldest generation is still freed under constant load.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable

CHECK_EVERY = 0.5  # seconds between looks at whether the bot is idle
LONGEST_DEFERRAL = 60.0  # seconds a full collection may wait for an idle moment
_NEVER = 1_000_000_000  # a full-collection threshold that is never reached
# Several bots in one process (tests): the thresholds come back when the last one stops.
_holders: list[FullCollections] = []
_saved: list[tuple[int, int, int]] = []


class FullCollections:
    def __init__(
        self, busy: Callable[[], bool], *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._busy = busy
        self._clock = clock
        self._last = clock()

    def take_over(self) -> None:
        """Stop CPython's own full collections (until ``hand_back``)."""
        if not _holders:
            _saved[:] = [gc.get_threshold()]
            gc.set_threshold(_saved[0][0], _saved[0][1], _NEVER)
        if self not in _holders:
            _holders.append(self)
        self._last = self._clock()

    def hand_back(self) -> None:
        if self in _holders:
            _holders.remove(self)
            if not _holders:
                gc.set_threshold(*_saved[0])

    def step(self) -> bool:
        """Collect everything now if it is due; True when it did."""
        pending = gc.get_count()[2]  # young collections since the last full one
        if pending == 0:
            return False
        if self._busy() and self._clock() - self._last < LONGEST_DEFERRAL:
            return False
        gc.collect()
        self._last = self._clock()
        return True

    async def run(self) -> None:
        self.take_over()
        try:
            while True:
                await asyncio.sleep(CHECK_EVERY)
                self.step()
        finally:
            self.hand_back()
