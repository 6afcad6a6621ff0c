from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import SendChatAction, SendMessage, TelegramMethod

from telegemini.tg.ratelimit import TIMING_MARGIN, Pacer, SlidingWindow, TelegramRateLimiter

BOT = cast(Bot, object())  # the middleware only passes it on


def message(chat_id: int) -> SendMessage:
    return SendMessage(chat_id=chat_id, text="hi")


def action(chat_id: int) -> SendChatAction:
    return SendChatAction(chat_id=chat_id, action="typing")


def flood(seconds: int) -> TelegramRetryAfter:
    return TelegramRetryAfter(method=message(0), message="Too Many Requests", retry_after=seconds)


async def call(limiter: TelegramRateLimiter, request: Any, method: TelegramMethod[Any]) -> Any:
    """One Bot API call through the middleware; ``request`` stands in for the session."""

    async def make_request(bot: Bot, method: TelegramMethod[Any]) -> Any:
        return await request()

    return await limiter(make_request, BOT, method)


def test_sliding_window_books_distinct_slots():
    window = SlidingWindow(limit=3, period=3.0)
    waits = [window.reserve(0.0) for _ in range(5)]
    assert waits == [0.0, 0.0, 0.0, 3.0, 3.0]
    assert window.reserve(10.0) == 0.0


def test_sliding_window_never_exceeds_its_limit():
    window = SlidingWindow(limit=20, period=60.0)
    slots = [0.0 + window.reserve(0.0) for _ in range(45)]
    for start in slots:
        assert sum(start <= s < start + 60.0 for s in slots) <= 20


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """Virtual time: ``asyncio.sleep`` advances it instead of waiting."""
    clock = Clock()

    async def fake_sleep(seconds: float) -> None:
        clock.now += seconds

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    return clock


async def send_times(limiter: TelegramRateLimiter, clock: Clock, chats: list[int]) -> list[float]:
    """One message to each of ``chats`` in turn; when each went."""
    sent: list[float] = []

    async def send() -> bool:
        sent.append(clock.now)
        return True

    for chat in chats:
        await call(limiter, send, message(chat))
    return sent


async def test_retry_after_is_honoured_then_the_call_succeeds(monkeypatch):
    clock = Clock()
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    limiter = TelegramRateLimiter(clock=clock)
    attempts = []

    async def send() -> bool:
        attempts.append(clock.now)
        if len(attempts) == 1:
            raise flood(2)
        return True

    result = await call(limiter, send, message(5))
    assert result is True
    assert attempts == [0.0, 2.0]


async def test_retry_after_beyond_the_cap_is_raised(monkeypatch):
    limiter = TelegramRateLimiter(max_retry_after=10)

    async def send() -> bool:
        raise flood(300)

    with pytest.raises(TelegramRetryAfter):
        await call(limiter, send, message(5))


async def test_chat_actions_are_dropped_while_the_chat_is_paused(clock):
    limiter = TelegramRateLimiter(clock=clock, max_retries=0)
    calls = []

    async def flooded() -> bool:
        raise flood(5)

    async def typing() -> bool:
        calls.append("action")
        return True

    with pytest.raises(TelegramRetryAfter):
        await call(limiter, flooded, message(5))
    assert await call(limiter, typing, action(5))
    assert calls == []  # dropped, not delayed
    assert await call(limiter, typing, action(6))
    assert calls == ["action"]  # other chats are not paused


async def test_per_chat_pacing_allows_a_burst_then_one_per_second(clock):
    sent = await send_times(TelegramRateLimiter(clock=clock), clock, [9] * 5)
    step = (1 + TIMING_MARGIN) / 30  # the overall pace
    window = 3 + TIMING_MARGIN  # the chat's: a burst of three
    # A burst of three (at the overall pace), then each waits for the first of the burst to
    # leave the chat's window.
    assert sent == pytest.approx([0.0, step, 2 * step, window, window + step])


async def test_a_message_held_by_its_chat_counts_overall_when_it_is_sent(clock):
    limiter = TelegramRateLimiter(overall_per_second=3, clock=clock)
    # Chat 1 uses its burst, so its fourth message waits ~3 s for its chat slot; then chat 2
    # writes three at that very moment. The overall limit must count the held message then.
    sent = await send_times(limiter, clock, [1, 1, 1, 1, 2, 2, 2])
    for start in sent:
        in_window = [t for t in sent if start <= t < start + 1.0 + TIMING_MARGIN]
        assert len(in_window) <= 3, sent
    # Evenly paced, (1 + margin) / 3 apart, from when chat 1's held message went.
    assert sent[-1] == pytest.approx(3 + TIMING_MARGIN + 3 * (1 + TIMING_MARGIN) / 3)


def test_the_overall_pace_is_even_and_never_books_a_time_twice():
    pacer = Pacer(0.5)
    assert [pacer.reserve(0.0) for _ in range(3)] == [0.0, 0.5, 1.0]
    assert pacer.reserve(10.0) == 0.0  # idle long enough: no wait


def test_postponed_slots_keep_the_window_ordered():
    window = SlidingWindow(limit=3, period=3.0)
    first = window.reserve(0.0)
    assert first == 0.0
    window.reserve(0.5)
    window.postpone(0.0, 1.0)  # the first event really happened at 1.0
    window.reserve(1.0)
    assert window.reserve(1.0) == pytest.approx(2.5)  # free at 0.5 + 3.0, when 0.5 leaves


async def test_a_5xx_is_retried_and_a_lost_send_is_not(clock):
    from aiogram.exceptions import TelegramNetworkError, TelegramServerError
    from aiohttp import ServerDisconnectedError

    limiter = TelegramRateLimiter(clock=clock)
    outcomes: list[BaseException | bool] = [
        TelegramServerError(method=message(1), message="Bad Gateway"),
        True,
    ]

    async def flaky() -> bool:
        outcome = outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    assert await call(limiter, flaky, message(1)) is True  # the 502 cost one retry, not the reply

    def lost() -> TelegramNetworkError:
        error = TelegramNetworkError(method=message(1), message="ServerDisconnectedError")
        error.__cause__ = ServerDisconnectedError()
        return error

    attempts = []

    async def answer_lost() -> bool:
        attempts.append(clock.now)
        raise lost()

    with pytest.raises(TelegramNetworkError):
        await call(limiter, answer_lost, message(2))
    assert len(attempts) == 1  # the message may have arrived: never sent twice

    attempts.clear()
    with pytest.raises(TelegramNetworkError):
        await call(limiter, answer_lost, SendChatAction(chat_id=3, action="typing"))
    assert len(attempts) == 1  # cosmetic: not worth a retry
