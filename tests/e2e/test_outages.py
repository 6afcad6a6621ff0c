"""Database and Redis outages, end to end: the real bot reaches PostgreSQL and Redis through a
TCP proxy (tests/helpers/tcp_proxy.py) that cuts or freezes the network; the shared servers
are never restarted.

- PostgreSQL cut during long polling, and in webhook mode (the webhook answers 503 and Telegram
  redelivers); PostgreSQL frozen, then back; frozen, then back with the old connections lost;
  cut while an answer is being written.
- Redis cut with rate limits configured: they fail open, and hold again once Redis is back.

Each case checks what the users see (nothing answered while the database is away, then every
message answered) and that nothing is lost or doubled: one answer per message, one Gemini
request per message, and a follow-up in every chat answered after them (the inbox hands out a
conversation's next update only once the one before is marked done, so nothing is left to be
handled again later).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
import pytest

from telegemini.app import Telegemini
from telegemini.sandbox.fake_telegram import FakeTelegramServer, FakeUser
from telegemini.storage.sql import COMMAND_TIMEOUT, CONNECT_TIMEOUT
from tests.helpers.databases import POSTGRES_URL, REDIS_URL, postgres_database, redis_client
from tests.helpers.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.postgres]

OUTAGE = 2.5  # seconds the network stays broken: long enough for every retry path to fail
RECOVERY = 20.0  # seconds within which everything held back must be answered after a restore
# Seconds within which a bot must give up on connections that went silent and carry on: a
# pooled connection's pre-ping may wait out one command timeout on its BEGIN and another on
# the rollback after it, then a new connection is opened.
LOST_BOUND = 2 * COMMAND_TIMEOUT + CONNECT_TIMEOUT + 5.0
USERS = [
    FakeUser(id=5101, first_name="Ana", username="ana"),
    FakeUser(id=5102, first_name="Ben", username="ben"),
    FakeUser(id=5103, first_name="Caz", username="caz"),
]

Run = Callable[..., Awaitable[Telegemini]]
T = TypeVar("T")


@pytest.fixture
async def database() -> AsyncIterator[str]:
    async with postgres_database() as url:
        yield url


@pytest.fixture
async def postgres_proxy() -> AsyncIterator[TcpProxy]:
    async with TcpProxy.for_url(POSTGRES_URL) as proxy:
        yield proxy


@pytest.fixture
async def redis_proxy() -> AsyncIterator[TcpProxy]:
    async with TcpProxy.for_url(REDIS_URL) as proxy:
        yield proxy


# Set up in this order, torn down in reverse: the network heals, the bots stop, the proxies
# stop, the database is dropped. (A test asks for ``redis_proxy`` before this, for the same.)
@pytest.fixture
async def run_bot(database: str, postgres_proxy: TcpProxy, start_bot: Run) -> AsyncIterator[Run]:
    """Start a bot whose database is ``database`` through ``postgres_proxy``."""

    async def run(mode: str = "polling", **extra: Any) -> Telegemini:
        bot = await start_bot(mode, database_url=postgres_proxy.url_for(database), **extra)
        assert postgres_proxy.connections > 0, "the bot does not reach the database via the proxy"
        return bot

    yield run
    postgres_proxy.restore()  # a failed test must not leave its bot to stop on a frozen network


# --- what the tests read back ---------------------------------------------------------------------


def text_of(message: dict[str, Any]) -> str:
    """A bot message's text: formatted text, or a rich message flattened by the fake."""
    return str(message.get("text") or message.get("_rich_text") or "")


def texts(telegram: FakeTelegramServer, user: FakeUser) -> list[str]:
    return [text_of(m) for m in telegram.bot_messages(user.id)]


def answered(telegram: FakeTelegramServer) -> dict[int, list[str]]:
    """Every user's chat: what the bot said there."""
    return {user.id: texts(telegram, user) for user in USERS}


async def all_see_typing(telegram: FakeTelegramServer) -> None:
    """Every user sees "typing…": the bot has their messages (it shows it before storing them;
    a long poll left open by a bot of an earlier test may hand them out too, but shows nothing)."""
    await telegram.wait_until(
        lambda: all(telegram.chat_actions(user.id) for user in USERS),
        what='"typing…" in every chat',
    )


async def bounded(call: Awaitable[T], what: str, timeout: float = 10.0) -> T:
    try:
        return await asyncio.wait_for(call, timeout)
    except TimeoutError:
        raise AssertionError(f"{what} hangs: no answer after {timeout}s") from None


async def held_by_telegram(bot: Telegemini) -> int:
    """Updates Telegram (the fake) still holds for the bot: not confirmed yet."""
    return (await bot.bot.get_webhook_info()).pending_update_count


def waiting_on() -> str:
    """Where the bot's feeders and handlers are waiting: each task's chain of awaits."""
    lines = []
    for task in asyncio.all_tasks():
        name = task.get_name()
        if name not in ("long-polling", "inbox-dispatch") and not name.startswith("update-"):
            continue
        chain = []
        coro: Any = task.get_coro()
        while coro is not None and len(chain) < 12:
            frame = getattr(coro, "cr_frame", None) or getattr(coro, "ag_frame", None)
            if frame is not None:
                code = frame.f_code
                chain.append(
                    f"{code.co_filename.rsplit('/', 2)[-1]}:{frame.f_lineno} {code.co_name}"
                )
            coro = getattr(coro, "cr_await", None) or getattr(coro, "ag_await", None)
        lines.append(f"  {name}: " + " → ".join(chain))
    return "\n".join(sorted(lines)) or "  (no such task)"


async def each_answered_once(
    telegram: FakeTelegramServer, gemini: Any, said: str, *, timeout: float = RECOVERY
) -> None:
    """Every user's ``said`` is answered, then a follow-up is too, and by then each chat holds
    exactly those two answers (the follow-up is handled only once the message before it is
    done, so a repeat would have come first). A timeout says where the bot is waiting."""
    try:
        for user in USERS:
            await telegram.wait_for_bot_messages(user.id, 1, timeout=timeout)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\nWhere the bot waits:\n{waiting_on()}") from None
    for user in USERS:
        telegram.send_text(user, "still there?")
    for user in USERS:
        await telegram.wait_until(
            lambda user=user: any(
                t.startswith("You said: still there?") for t in texts(telegram, user)
            ),
            timeout=RECOVERY,
            what=f"the answer to {user.first_name}'s follow-up",
        )
    for user in USERS:
        replies = texts(telegram, user)
        assert len(replies) == 2, f"{user.first_name} got {replies}"
        assert replies[0] == f"You said: {said} {user.first_name}", replies
        assert f"Earlier you said: {said} {user.first_name}" in replies[1]  # memory was saved
    assert len(gemini.interaction_requests()) == 2 * len(USERS)


# --- PostgreSQL cut -------------------------------------------------------------------------------


async def test_polling_through_a_database_cut_answers_each_message_once_after_it(
    run_bot, postgres_proxy, telegram, gemini
):
    bot = await run_bot("polling")
    postgres_proxy.cut()
    cut_at = time.monotonic()
    for user in USERS:
        telegram.send_text(user, f"hello from {user.first_name}")
    await all_see_typing(telegram)  # and nothing else while the database is away:
    await asyncio.sleep(OUTAGE - (time.monotonic() - cut_at))  # hold the outage
    assert answered(telegram) == {user.id: [] for user in USERS}, "answered without a database"
    assert gemini.interaction_requests() == []
    assert await held_by_telegram(bot) == len(USERS), "confirmed to Telegram, yet never stored"

    postgres_proxy.restore()
    await each_answered_once(telegram, gemini, "hello from")
    assert await held_by_telegram(bot) == 0


async def test_webhook_through_a_database_cut_refuses_then_answers_each_message_once(
    run_bot, postgres_proxy, telegram, gemini
):
    delays = telegram.webhook_retry_delays
    telegram.webhook_retry_delays = (0.2,) * 50  # Telegram keeps redelivering for 10 s
    try:
        bot = await run_bot("webhook")
        readyz = f"http://127.0.0.1:{bot.webhook.port}/readyz"
        postgres_proxy.cut()
        cut_at = time.monotonic()
        sent = {
            telegram.send_text(user, f"hello from {user.first_name}")["update_id"] for user in USERS
        }
        # Each chat's update is refused again and again (chats are delivered side by side).
        await telegram.wait_until(
            lambda: sum(a.status == 503 for a in telegram.webhook_attempts) >= 2 * len(USERS),
            what="the webhook to refuse the updates again and again",
        )
        async with aiohttp.ClientSession() as session, session.get(readyz) as response:
            assert response.status == 503
            assert (await response.json())["database"].startswith("unreachable")
        await asyncio.sleep(OUTAGE - (time.monotonic() - cut_at))  # hold the outage
        assert answered(telegram) == {user.id: [] for user in USERS}
        assert gemini.interaction_requests() == []
        assert not [a for a in telegram.webhook_attempts if a.status == 200]

        postgres_proxy.restore()
        await each_answered_once(telegram, gemini, "hello from")
        accepted = [a.update_id for a in telegram.webhook_attempts if a.status == 200]
        assert sent <= set(accepted)
        assert len(accepted) == len(set(accepted)) == 2 * len(USERS), accepted  # once each
        refused = {a.status for a in telegram.webhook_attempts if a.status != 200}
        assert refused == {503}, refused
    finally:
        telegram.webhook_retry_delays = delays


# --- PostgreSQL frozen ----------------------------------------------------------------------------


async def test_polling_through_a_frozen_database_neither_hangs_nor_loses_the_message(
    run_bot, postgres_proxy, telegram, gemini
):
    bot = await run_bot("polling")
    postgres_proxy.freeze()
    frozen_at = time.monotonic()
    for user in USERS:
        telegram.send_text(user, f"hello from {user.first_name}")
    await all_see_typing(telegram)
    # The dependency check gives up on the silent database (it does not hang with it).
    readiness = await bounded(bot.readiness(), "the dependency check")
    assert readiness["database"].startswith("unreachable"), readiness
    await asyncio.sleep(OUTAGE - (time.monotonic() - frozen_at))  # hold the outage
    assert answered(telegram) == {user.id: [] for user in USERS}
    assert gemini.interaction_requests() == []

    postgres_proxy.restore()
    await each_answered_once(telegram, gemini, "hello from")
    assert (await bounded(bot.readiness(), "the dependency check"))["database"] == "ok"


async def test_polling_after_a_freeze_that_lost_its_connections_answers_within_a_bound(
    run_bot, postgres_proxy, telegram, gemini
):
    """The network comes back, but the connections open during the freeze never answer again
    (the blackhole outlasted TCP's retransmissions, or the database failed over behind its
    address): the bot must give up on them and carry on with new ones, not wait forever."""
    await run_bot("polling")
    postgres_proxy.freeze()
    for user in USERS:
        telegram.send_text(user, f"hello from {user.first_name}")
    await all_see_typing(telegram)
    await asyncio.sleep(1.0)  # hold: the poller's store and the pump's claim wait on it
    postgres_proxy.restore(lose_frozen=True)
    await each_answered_once(telegram, gemini, "hello from", timeout=LOST_BOUND)


# --- PostgreSQL cut in the middle of an answer ----------------------------------------------------


async def test_a_database_cut_while_an_answer_is_written_neither_repeats_it_nor_apologises(
    run_bot, postgres_proxy, telegram, gemini
):
    """The answer reaches the user while the database is away: it must not come a second time
    (nor cost a second model call) once the database is back, and the user is not told that
    something went wrong (they would ask again)."""
    user = USERS[0]
    # A claim left unfinished is taken again after 2 s (not 60), before the next message.
    await run_bot("polling", inbox_lease=2.0)
    gemini.latency = 1.0
    telegram.send_text(user, "hello")
    await gemini.wait_for_requests(1, match="interactions", timeout=10)
    postgres_proxy.cut()  # while the model writes
    cut_at = time.monotonic()
    [answer] = await telegram.wait_for_bot_messages(user.id, 1)
    assert text_of(answer) == "You said: hello"
    await asyncio.sleep(OUTAGE - (time.monotonic() - cut_at))  # hold the outage
    postgres_proxy.restore()

    telegram.send_text(user, "next")  # answered after anything still due in this chat
    await telegram.wait_until(
        lambda: any(t.startswith("You said: next") for t in texts(telegram, user)),
        timeout=RECOVERY,
        what="the answer to the message after the outage",
    )
    said = texts(telegram, user)
    repeated = [t for t in said if t.startswith("You said: hello")]
    assert len(repeated) == 1, f"the answer was sent {len(repeated)} times: {said}"
    assert len(gemini.interaction_requests()) == 2, "the model was asked twice for one message"
    assert len(said) == 2, f"told more than the two answers: {said}"


# --- Redis cut ------------------------------------------------------------------------------------


@pytest.mark.redis
async def test_with_redis_cut_rate_limits_fail_open_and_come_back_after_it(
    redis_proxy, run_bot, telegram, gemini
):
    user = USERS[0]
    bucket = f"tg:rl:messages:{user.id}"
    async with redis_client(bucket) as redis:
        await redis.delete(bucket)
        # Three messages at once, then one a minute: enforced in Redis, through the proxy.
        await run_bot(
            "polling",
            redis_url=redis_proxy.url_for(REDIS_URL),
            rates={"messages": {"per_minute": 1, "burst": 3}},
        )
        telegram.send_text(user, "one")
        await telegram.wait_for_bot_messages(user.id, 1)
        assert redis_proxy.connections > 0, "the bot does not reach Redis via the proxy"
        assert await redis.exists(bucket), "the rate limit is not kept in Redis"

        redis_proxy.cut()
        for n in range(4):  # more than the two left in the bucket
            telegram.send_text(user, f"cut {n}")
        replies = await telegram.wait_for_bot_messages(user.id, 5, timeout=RECOVERY)
        said = [text_of(r).splitlines()[0] for r in replies]
        assert said == ["You said: one", *(f"You said: cut {n}" for n in range(4))]
        assert len(gemini.interaction_requests()) == 5

        redis_proxy.restore()
        for n in range(3):  # two left in the bucket, then refused: the limit holds again
            telegram.send_text(user, f"back {n}")
        replies = await telegram.wait_for_bot_messages(user.id, 8, timeout=RECOVERY)
        said = [text_of(r).splitlines()[0] for r in replies[5:]]
        assert said[:2] == ["You said: back 0", "You said: back 1"]
        assert said[2].startswith("You're going a bit fast"), said[2]
        assert len(telegram.bot_messages(user.id)) == 8
        assert len(gemini.interaction_requests()) == 7
