"""Webhook delivery of the fake Bot API: headers, retries, giving up, at-least-once, several
chats at once (up to max_connections), each chat in order."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.types import Message, Update
from aiohttp import web

from telegemini.sandbox.fake_telegram import SECRET_HEADER, FakeTelegramServer, FakeUser
from telegemini.sandbox.fake_telegram.updates import Notifier, Queue, delivery_queue
from tests.helpers.bot_api import aiogram_bot, running

ALICE = FakeUser(42, "Alice", username="alice")
SECRET = "s3cr3t-Token_1"


@dataclass
class Receiver:
    """A tiny webhook endpoint: answers with scripted statuses and records what it got."""

    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.json()))
        status = self.statuses.pop(0) if self.statuses else 200
        return web.Response(status=status)


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[FakeTelegramServer]:
    async with running(FakeTelegramServer(webhook_retry_delays=(0.01, 0.02))) as fake:
        yield fake


@pytest.fixture(autouse=True)
def clean(server: FakeTelegramServer) -> None:
    server.reset()
    server.add_chat(ALICE)


@pytest.fixture(scope="module")
async def bot(server: FakeTelegramServer) -> AsyncIterator[Bot]:
    async with aiogram_bot(server) as client:
        yield client


@contextlib.asynccontextmanager
async def serving(
    handle: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> AsyncIterator[str]:
    """A webhook endpoint on a free port; its URL."""
    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    finally:
        await runner.cleanup()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    endpoint = Receiver()
    async with serving(endpoint.handle) as endpoint.url:
        yield endpoint


async def test_delivery_has_json_and_secret_and_retries_on_500(
    server: FakeTelegramServer, bot: Bot, receiver: Receiver
) -> None:
    receiver.statuses = [500]
    await bot.set_webhook(url=receiver.url, secret_token=SECRET)

    update = server.send_text(ALICE, "hello")
    await server.wait_until(lambda: len(server.webhook_attempts) == 2, what="two attempts")

    assert [attempt.status for attempt in server.webhook_attempts] == [500, 200]
    for headers, body in receiver.received:
        assert headers["Content-Type"] == "application/json"
        assert headers[SECRET_HEADER] == SECRET
        assert body == update
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == (receiver.url, 0)


async def test_gives_up_then_delivers_in_order_later(
    server: FakeTelegramServer, bot: Bot, receiver: Receiver
) -> None:
    receiver.statuses = [503, 503, 503]
    await bot.set_webhook(url=receiver.url)

    first = server.send_text(ALICE, "one")
    await server.wait_until(lambda: len(server.webhook_attempts) == 3, what="three attempts")
    info = await bot.get_webhook_info()
    second = server.send_text(ALICE, "two")
    await server.wait_until(lambda: len(server.webhook_attempts) == 5, what="recovery")

    assert info.pending_update_count == 1
    assert info.last_error_message == "Wrong response from the webhook: 503 Service Unavailable"
    assert info.last_error_date is not None
    assert SECRET_HEADER not in receiver.received[0][0]
    delivered = [body["update_id"] for _, body in receiver.received]
    assert delivered == [first["update_id"]] * 4 + [second["update_id"]]
    assert (await bot.get_webhook_info()).pending_update_count == 0


async def test_connection_error_is_recorded(server: FakeTelegramServer, bot: Bot) -> None:
    await bot.set_webhook(url="http://127.0.0.1:9/unreachable")
    server.send_text(ALICE, "anyone?")
    await server.wait_until(lambda: len(server.webhook_attempts) == 3, what="three attempts")

    assert all(attempt.status is None for attempt in server.webhook_attempts)
    info = await bot.get_webhook_info()
    assert info.last_error_message is not None
    assert info.last_error_message.startswith("Connection failed")


async def test_aiogram_dispatcher_fed_by_webhook_sees_redelivery(
    server: FakeTelegramServer, bot: Bot
) -> None:
    router = Router()

    @router.message(F.text)
    async def on_text(message: Message, event_update: Update) -> None:
        await message.answer(f"got {event_update.update_id}")

    dp = Dispatcher()
    dp.include_router(router)

    async def hook(request: web.Request) -> web.Response:
        if request.headers.get(SECRET_HEADER) != SECRET:
            return web.Response(status=403)
        await dp.feed_raw_update(bot, await request.json())
        return web.Response()

    web_app = web.Application()
    web_app.router.add_post("/webhook", hook)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/webhook"
    try:
        await bot.set_webhook(url=url, secret_token=SECRET)
        update = server.send_text(ALICE, "hi")
        await server.wait_for_calls("sendMessage", 1, chat_id=ALICE.id)
        server.redeliver(update)
        await server.wait_for_calls("sendMessage", 2, chat_id=ALICE.id)
    finally:
        await runner.cleanup()

    texts = [m["text"] for m in server.bot_messages(ALICE.id)]
    assert texts == [f"got {update['update_id']}"] * 2


# --- several connections at once, one chat at a time ------------------------------------------

USERS = [FakeUser(100 + n, f"User{n}", username=f"user{n}") for n in range(5)]


@dataclass
class HoldingReceiver:
    """A webhook endpoint that holds every request until the test releases it.

    ``log`` lists ("arrive", update_id) and ("answer", update_id) in the order they happened;
    ``peak`` is the most requests ever held at once. ``fail_chats`` answer 503 (not held).
    """

    url: str = ""
    hold: bool = True
    fail_chats: set[int] = field(default_factory=set)
    log: list[tuple[str, int]] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    held: dict[int, asyncio.Event] = field(default_factory=dict)
    peak: int = 0
    changed: Notifier = field(default_factory=Notifier)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        update_id = int(body["update_id"])
        self.bodies.append(body)
        self.log.append(("arrive", update_id))
        self.changed.notify()
        if body["message"]["chat"]["id"] in self.fail_chats:
            return web.Response(status=503)
        if self.hold:
            gate = self.held[update_id] = asyncio.Event()
            self.peak = max(self.peak, len(self.held))
            try:
                await gate.wait()
            finally:
                del self.held[update_id]
        self.log.append(("answer", update_id))
        self.changed.notify()
        return web.Response()

    def release(self, update_id: int) -> None:
        self.held[update_id].set()

    def release_all(self) -> None:
        self.hold = False
        for gate in self.held.values():
            gate.set()

    def arrived(self) -> list[int]:
        return [update_id for event, update_id in self.log if event == "arrive"]

    async def until(self, predicate: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
        if not await self.changed.wait_until(predicate, timeout):
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; log {self.log}")


@pytest.fixture
async def holding() -> AsyncIterator[HoldingReceiver]:
    endpoint = HoldingReceiver()
    async with serving(endpoint.handle) as endpoint.url:
        yield endpoint
        endpoint.release_all()  # before the server closes: no request left hanging


def _accepted(server: FakeTelegramServer) -> set[int]:
    return {a.update_id for a in server.webhook_attempts if a.status == 200}


def _add_users(server: FakeTelegramServer) -> None:
    for user in USERS:
        server.add_chat(user)


async def test_different_chats_are_delivered_at_once_up_to_max_connections(
    server: FakeTelegramServer, bot: Bot, holding: HoldingReceiver
) -> None:
    _add_users(server)
    await bot.set_webhook(url=holding.url, max_connections=3)
    sent = [server.send_text(user, "hi")["update_id"] for user in USERS]

    await holding.until(lambda: len(holding.held) == 3, "3 requests in flight at once")
    assert set(holding.held) == set(sent[:3])  # the oldest first
    for n in range(3, len(sent)):  # each answer frees a connection for the next chat
        holding.release(holding.arrived()[n - 3])
        await holding.until(lambda n=n: len(holding.arrived()) == n + 1, f"update {n} sent")
    holding.release_all()
    await server.wait_until(lambda: _accepted(server) == set(sent), what="all accepted")

    assert sorted(holding.arrived()) == sent
    assert holding.peak == 3  # never more than max_connections
    assert (await bot.get_webhook_info()).pending_update_count == 0


async def test_a_chat_gets_its_next_update_only_after_the_previous_is_answered(
    server: FakeTelegramServer, bot: Bot, holding: HoldingReceiver
) -> None:
    _add_users(server)
    alice, bob = USERS[0], USERS[1]
    await bot.set_webhook(url=holding.url)  # 40 connections
    first = server.send_text(alice, "one")["update_id"]
    second = server.send_text(alice, "two")["update_id"]
    bobs = server.send_text(bob, "hey")["update_id"]

    await holding.until(lambda: set(holding.held) == {first, bobs}, "Alice's first and Bob's")
    holding.release(bobs)  # Bob's chat moves on while Alice's first is still unanswered
    bobs_next = server.send_text(bob, "again")["update_id"]
    await holding.until(lambda: bobs_next in holding.held, "Bob's second update")
    assert second not in holding.arrived(), "a chat's update overtook the one before it"

    holding.release_all()
    everything = {first, second, bobs, bobs_next}
    await server.wait_until(lambda: _accepted(server) == everything, what="all accepted")
    assert (await bot.get_webhook_info()).pending_update_count == 0
    alice_log = [entry for entry in holding.log if entry[1] in (first, second)]
    assert alice_log == [
        ("arrive", first),
        ("answer", first),
        ("arrive", second),
        ("answer", second),
    ]


async def test_a_failing_chat_keeps_its_updates_in_order_and_others_go_on(
    server: FakeTelegramServer, bot: Bot, holding: HoldingReceiver
) -> None:
    _add_users(server)
    alice, bob = USERS[0], USERS[1]
    holding.hold = False
    holding.fail_chats = {alice.id}
    await bot.set_webhook(url=holding.url)
    first = server.send_text(alice, "one")["update_id"]
    second = server.send_text(alice, "two")["update_id"]
    bobs = server.send_text(bob, "hey")["update_id"]

    await server.wait_until(
        lambda: (
            [a.status for a in server.webhook_attempts if a.update_id == first] == [503] * 3
            and any(a.update_id == bobs and a.status == 200 for a in server.webhook_attempts)
        ),
        what="Alice's first given up after 3 tries, Bob's delivered",
    )
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 2
    assert info.last_error_message == "Wrong response from the webhook: 503 Service Unavailable"
    assert second not in holding.arrived()  # the chat waits behind its first update

    holding.fail_chats.clear()
    news = server.send_text(bob, "news")["update_id"]  # something new: Alice's chat goes again
    everything = {first, second, bobs, news}
    await server.wait_until(lambda: _accepted(server) == everything, what="all accepted")
    assert (await bot.get_webhook_info()).pending_update_count == 0
    alice_arrivals = [u for u in holding.arrived() if u in (first, second)]
    assert alice_arrivals == [first] * 4 + [second]


async def test_a_new_webhook_ends_the_back_off_at_once(
    server: FakeTelegramServer, bot: Bot, receiver: Receiver, holding: HoldingReceiver
) -> None:
    holding.hold = False
    delays, server.webhook_retry_delays = server.webhook_retry_delays, (60.0,)
    try:
        receiver.statuses = [500]
        await bot.set_webhook(url=receiver.url)
        update = server.send_text(ALICE, "hello")
        await server.wait_until(lambda: len(server.webhook_attempts) == 1, what="a refusal")
        await bot.set_webhook(url=holding.url)
        await holding.until(lambda: bool(holding.log), "delivery to the new URL, not after 60 s")
    finally:
        server.webhook_retry_delays = delays
    await server.wait_until(lambda: bool(_accepted(server)), what="the update accepted")
    assert holding.bodies == [update]
    assert [(a.url, a.status) for a in server.webhook_attempts] == [
        (receiver.url, 500),
        (holding.url, 200),
    ]


async def test_stop_cancels_deliveries_under_way(holding: HoldingReceiver) -> None:
    fake = FakeTelegramServer(webhook_retry_delays=(0.01,))
    async with running(fake), aiogram_bot(fake) as client:
        _add_users(fake)
        await client.set_webhook(url=holding.url)
        for user in USERS[:2]:
            fake.send_text(user, "hi")
        await holding.until(lambda: len(holding.held) == 2, "2 requests in flight")
    workers = {f"fake-telegram-webhook-chat-{user.id}" for user in USERS[:2]}
    left = [task for task in asyncio.all_tasks() if task.get_name() in workers]
    assert left == []  # cancelled and awaited, not left pending


USER = {"id": 7, "is_bot": False, "first_name": "U"}
CHAT = {"id": -100, "type": "supergroup", "title": "G"}


@pytest.mark.parametrize(
    ("update", "queue"),
    [
        ({"message": {"chat": CHAT, "from": USER}}, ("chat", -100)),
        ({"edited_channel_post": {"chat": CHAT}}, ("chat", -100)),
        ({"callback_query": {"from": USER, "message": {"chat": CHAT}}}, ("chat", -100)),
        ({"callback_query": {"from": USER, "inline_message_id": "x"}}, ("user", 7)),
        ({"my_chat_member": {"chat": CHAT, "from": USER}}, ("chat", -100)),
        ({"pre_checkout_query": {"id": "q", "from": USER}}, ("user", 7)),
        ({"subscription": {"user": USER, "state": "active"}}, ("user", 7)),
        ({"poll_answer": {"voter_chat": CHAT, "poll_id": "p"}}, ("chat", -100)),
        ({"poll": {"id": "p"}}, ("update", 5)),
    ],
)
def test_which_updates_are_delivered_in_turn(update: dict[str, Any], queue: Queue) -> None:
    assert delivery_queue({"update_id": 5, **update}) == queue
