"""Webhook delivery of the fake Bot API: headers, retries, giving up, at-least-once."""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.types import Message, Update
from aiohttp import web

from telegemini.sandbox.fake_telegram import SECRET_HEADER, FakeTelegramServer, FakeUser
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


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    endpoint = Receiver()
    app = web.Application()
    app.router.add_post("/hook", endpoint.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    endpoint.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield endpoint
    await runner.cleanup()


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
