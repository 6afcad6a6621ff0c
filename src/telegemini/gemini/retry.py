"""Our retry policy for Gemini calls (the SDK's own retries are switched off in client.py)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from telegemini.errors import UpstreamBusy, UpstreamTimeout, UpstreamUnavailable, UserFacingError
from telegemini.gemini.errors import Model, map_exception

log = logging.getLogger(__name__)

T = TypeVar("T")
_RETRYABLE = (UpstreamBusy, UpstreamUnavailable, UpstreamTimeout)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries: ``attempts`` in all, and at most ``budget`` seconds spent waiting.

    A ``Retry-After`` from the server is honoured as given; if it would overrun the budget we
    stop at once and tell the user how long to wait instead of holding the chat hostage.
    """

    attempts: int = 3
    budget: float = 20.0
    base_delay: float = 0.5
    max_delay: float = 8.0

    def next_delay(self, attempt: int, error: UserFacingError, waited: float) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or None to give up."""
        if not isinstance(error, _RETRYABLE) or attempt >= self.attempts:
            return None
        retry_after = getattr(error, "retry_after", None)
        delay = (
            float(retry_after)
            if retry_after is not None
            else min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        )
        return delay if waited + delay <= self.budget else None


async def call_with_retries(
    policy: RetryPolicy,
    call: Callable[[float], Awaitable[T]],
    what: str,
    *,
    total: float,
    model: Model = None,
) -> T:
    """Run ``call(seconds_left)`` until it succeeds or the policy gives up; errors leave as
    ours. Every attempt and every wait between them come out of ``total`` seconds, so a model
    that hangs costs the user ``total``, not ``attempts`` timeouts. ``model`` is the (setting,
    name) of the model called, for a 404 that names it."""
    deadline = time.monotonic() + total
    waited = 0.0
    attempt = 1
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise UpstreamTimeout(f"{what}: no answer within {total:g} s")
        try:
            async with asyncio.timeout(left):  # unary calls: nothing is yielded meanwhile
                return await call(left)
        except Exception as exc:
            error = map_exception(exc, model=model)
            delay = policy.next_delay(attempt, error, waited)
            if delay is not None and delay >= deadline - time.monotonic():
                delay = None
            if delay is None:
                if error is exc:
                    raise
                raise error from exc
            log.warning("%s: %s on attempt %d; retrying in %.2fs", what, type(error).__name__,
                        attempt, delay)  # fmt: skip
            waited += delay
            attempt += 1
            await asyncio.sleep(delay)
