"""A thread pool for CPU-heavy media work, running below the event loop's priority.

On a small machine (2 cores) an encoder thread can take the core the event loop needs and
delay every chat by tens of milliseconds. Linux schedules threads individually, so the pool's
threads lower their own priority: media work still gets all idle CPU, but never delays the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_NICENESS = 10


def _lower_priority() -> None:
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or not allowed: carry on
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _NICENESS)


_POOL = ThreadPoolExecutor(
    max_workers=min(4, os.cpu_count() or 1),
    thread_name_prefix="media",
    initializer=_lower_priority,
)


async def run_media(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``function`` in the low-priority media pool and await its result."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_POOL, partial(function, *args, **kwargs))
