"""Pacing of everything the bot sends to Telegram.

An aiogram request middleware on the bot's session, so every Bot API call passes through it.
It follows Telegram's published limits:

- about 1 message per second per chat (a burst of 3 is tolerated),
- 20 messages per minute per group,
- ``TELEGRAM_GLOBAL_RATE`` messages per second overall (30 by default),
- a 429 pauses only the chat it came from (or everything, for calls without a chat), and the
  call is retried a bounded number of times when the wait is reasonable.
- a 5xx, or a connection that could not be made, is retried after 0.25, 1 and 2.5 s; a lost
  answer (the call may have been carried out) is retried only for calls that change nothing when
  repeated, never for a message, which would then show twice.

Chat actions and drafts are never queued behind messages: they skip the message budgets, and
are dropped while their chat is paused, so they cannot starve the replies.

A message waits for its chat's slot first, then for the overall one, and its chat slot moves to
when it really goes: both budgets count real sends. Every window is ``TIMING_MARGIN`` longer
than Telegram's, because Telegram counts arrivals, not departures. The overall budget is spent
at an even pace (at the default limit one message every 37 ms, 1.1 s / 30: 27.3/s) rather than
30 at once: a whole-budget burst whose first message is held up by a busy event loop or network
lands partly in the next second, which then overflows (seen with a 53 ms stall), while an even
pace takes two late messages in one second to overflow it (a 50 ms margin still drew two 429s
in 600 messages when the fake itself was slow).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import (
    TelegramEntityTooLarge,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods.base import TelegramType
from aiohttp import ClientConnectorError

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import Response, TelegramMethod

log = logging.getLogger(__name__)

FloodHook = Callable[[str, object, float], Awaitable[None]]  # (endpoint, chat id, seconds)
_COSMETIC = frozenset(
    {"sendChatAction", "sendMessageDraft", "sendRichMessageDraft", "setMessageReaction"}
)
_GLOBAL = "*"
SWEEP_AT = 1024  # chats with a window before idle ones are swept
TIMING_MARGIN = 0.1  # seconds added to every window, for jitter between our clock and theirs
# Waits before retrying a call that failed with a 5xx or a connection problem: within ~4 s.
TRANSIENT_BACKOFF = (0.25, 1.0, 2.5)


def _is_message(endpoint: str) -> bool:
    if endpoint in _COSMETIC:
        return False
    return endpoint.startswith(("send", "edit", "copyMessage", "forwardMessage"))


class SlidingWindow:
    """At most ``limit`` events in any ``period`` seconds. ``reserve`` books the earliest free
    slot and says how long to wait for it, so concurrent callers get distinct slots."""

    __slots__ = ("_booked", "limit", "period")

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self._booked: deque[float] = deque()

    def reserve(self, now: float) -> float:
        while self._booked and self._booked[0] <= now - self.period:
            self._booked.popleft()
        slot = now
        if len(self._booked) >= self.limit:
            slot = max(now, self._booked[-self.limit] + self.period)
        self._booked.append(slot)
        return slot - now

    def postpone(self, slot: float, to: float) -> None:
        """The event booked at ``slot`` happens at ``to`` instead (``to`` ≥ ``slot``)."""
        for index in range(len(self._booked) - 1, -1, -1):
            if self._booked[index] == slot:
                del self._booked[index]
                break
        index = len(self._booked)
        while index and self._booked[index - 1] > to:
            index -= 1
        self._booked.insert(index, to)

    def idle(self, now: float) -> bool:
        return not self._booked or self._booked[-1] <= now - self.period


class Pacer:
    """Events at least ``interval`` apart; ``reserve`` books the next free time like
    ``SlidingWindow.reserve`` (concurrent callers get distinct times)."""

    __slots__ = ("_next", "interval")

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next = float("-inf")

    def reserve(self, now: float) -> float:
        slot = max(now, self._next)
        self._next = slot + self.interval
        return slot - now


class TelegramRateLimiter(BaseRequestMiddleware):
    """Paces every Bot API request of the session it is registered on."""

    def __init__(
        self,
        *,
        overall_per_second: float = 30.0,
        chat_burst: int = 3,
        chat_per_second: float = 1.0,
        group_per_minute: int = 20,
        max_retries: int = 3,
        max_retry_after: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        on_flood: FloodHook | None = None,
    ) -> None:
        self._overall = Pacer((1.0 + TIMING_MARGIN) / max(1.0, overall_per_second))
        self._chat_limit = (chat_burst, chat_burst / chat_per_second + TIMING_MARGIN)
        self._group_limit = (group_per_minute, 60.0 + TIMING_MARGIN)
        self._chats: dict[object, SlidingWindow] = {}
        self._sweep_at = SWEEP_AT
        self._paused_until: dict[object, float] = {}
        self._max_retries = max_retries
        self._max_retry_after = max_retry_after
        self._clock = clock
        self._on_flood = on_flood

    def _window(self, chat_id: object) -> SlidingWindow:
        window = self._chats.get(chat_id)
        if window is None:
            if len(self._chats) >= self._sweep_at:
                # Idle windows carry no budget; the sweep's cost is spread over new chats.
                now = self._clock()
                self._chats = {k: w for k, w in self._chats.items() if not w.idle(now)}
                self._sweep_at = max(SWEEP_AT, 2 * len(self._chats))
            is_group = isinstance(chat_id, str) or (isinstance(chat_id, int) and chat_id < 0)
            limit, period = self._group_limit if is_group else self._chat_limit
            window = self._chats[chat_id] = SlidingWindow(limit, period)
        return window

    def _pause_left(self, chat_id: object) -> float:
        now = self._clock()
        until = max(self._paused_until.get(chat_id, 0.0), self._paused_until.get(_GLOBAL, 0.0))
        return max(0.0, until - now)

    async def _take_slots(self, chat_id: object) -> None:
        chat = self._window(chat_id)
        now = self._clock()
        booked = now + chat.reserve(now)
        if booked > now:
            await asyncio.sleep(booked - now)
        # Booked after the chat's wait, at a time that only grows, so the window stays ordered.
        now = self._clock()
        wait = self._overall.reserve(now)
        if wait > 0:
            await asyncio.sleep(wait)
        sent = max(booked, now + wait)
        if sent > booked:
            chat.postpone(booked, sent)

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        endpoint = method.__api_method__
        chat_id = _chat_key(getattr(method, "chat_id", None))
        floods = failures = 0
        while True:
            paused = self._pause_left(chat_id)
            if paused and endpoint in _COSMETIC:
                # A stale "typing…" is worth less than the reply it would delay. (The session
                # hands back the result itself, despite the protocol's annotation.)
                return True  # type: ignore[return-value]
            if paused:
                await asyncio.sleep(paused)
            if chat_id is not None and _is_message(endpoint):
                await self._take_slots(chat_id)
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                seconds = float(exc.retry_after)
                # Telegram told us to wait: everything to this chat waits, retried or not.
                scope = chat_id if chat_id is not None else _GLOBAL
                self._paused_until[scope] = max(
                    self._paused_until.get(scope, 0.0), self._clock() + seconds
                )
                if floods >= self._max_retries or seconds > self._max_retry_after:
                    raise
                floods += 1
                if self._on_flood is not None:
                    try:
                        await self._on_flood(endpoint, chat_id, seconds)
                    except Exception:  # reporting a flood must never make it worse
                        log.debug("flood hook failed", exc_info=True)
                log.warning(
                    "telegram flood control on %s for chat %s: waiting %.1fs (attempt %d)",
                    endpoint,
                    chat_id,
                    seconds,
                    floods,
                )
            except (TelegramServerError, TelegramNetworkError) as exc:
                if failures >= len(TRANSIENT_BACKOFF) or not _retriable(endpoint, exc):
                    raise
                delay = TRANSIENT_BACKOFF[failures]
                failures += 1
                log.warning(
                    "Bot API %s failed for chat %s (%s); retrying in %.1fs",
                    endpoint,
                    chat_id,
                    exc,
                    delay,
                )
                await asyncio.sleep(delay)


def _retriable(endpoint: str, error: TelegramServerError | TelegramNetworkError) -> bool:
    """Whether a failed call may simply be made again. A 5xx means Telegram did not carry it
    out; a connection never made means it never left. A lost answer (a dropped connection, a
    timeout) may follow a message that did arrive: only calls that change nothing when repeated
    are made again then. Cosmetic calls are not worth a retry; a file too large never fits."""
    if endpoint in _COSMETIC or isinstance(error, TelegramEntityTooLarge):
        return False
    if isinstance(error, TelegramServerError):
        return True
    if isinstance(error.__cause__, ClientConnectorError):
        return True
    return not _is_message(endpoint)


def _chat_key(chat_id: Any) -> object:
    if chat_id is None:
        return None
    if isinstance(chat_id, int):
        return chat_id
    text = str(chat_id)
    try:
        return int(text)
    except ValueError:
        return text  # @channelusername
