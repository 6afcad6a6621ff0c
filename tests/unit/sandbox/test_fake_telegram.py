"""The fake Bot API driven by the real aiogram 3.31 over HTTP."""

import asyncio
import re
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramUnauthorizedError,
)
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.token import TokenValidationError

from telegemini.sandbox.fake_telegram import FakeChat, FakeEvent, FakeTelegramServer, FakeUser
from tests.helpers.bot_api import png, running

ALICE = FakeUser(42, "Alice", username="alice")
BOB = FakeUser(43, "Bob", username="bob_the_user")
TEAM = FakeChat(-1001234567890, "supergroup", title="Team")


def make_bot(server: FakeTelegramServer, token: str | None = None) -> Bot:
    """An aiogram Bot whose API root (methods and file downloads) is the fake."""
    api = TelegramAPIServer.from_base(server.url)
    return Bot(token or server.token, session=AiohttpSession(api=api))


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[FakeTelegramServer]:
    async with running(FakeTelegramServer()) as fake:
        yield fake


@pytest.fixture(autouse=True)
def clean(server: FakeTelegramServer) -> None:
    server.reset()


@pytest.fixture(scope="module")
async def bot(server: FakeTelegramServer) -> AsyncIterator[Bot]:
    client = make_bot(server)
    yield client
    await client.session.close()


async def serve(dp: Dispatcher, bot: Bot, updates: int) -> None:
    """Long-poll like a bot: feed ``updates`` updates through ``dp``, then confirm them.

    The loop ends by itself once the updates are handled, so no long poll is left waiting in
    the fake; a missing update fails with TimeoutError instead of hanging.
    """
    allowed = dp.resolve_used_update_types()
    offset: int | None = None
    handled = 0
    async with asyncio.timeout(10):
        while handled < updates:
            for update in await bot.get_updates(offset=offset, timeout=5, allowed_updates=allowed):
                await dp.feed_update(bot, update)
                offset = update.update_id + 1
                handled += 1
        await bot.get_updates(offset=offset, timeout=0)  # confirm, as a stopping poller does


def mentions(username: str) -> Callable[[Message], bool]:
    """A filter: the message has a ``mention`` entity of ``@username``."""
    handle = f"@{username}"

    def check(message: Message) -> bool:
        text = message.text or ""
        return any(
            e.type == "mention" and e.extract_from(text) == handle for e in message.entities or ()
        )

    return check


async def test_get_me_and_wrong_token(server: FakeTelegramServer, bot: Bot) -> None:
    me = await bot.get_me()

    assert (me.id, me.username, me.is_bot) == (server.bot_id, server.bot_username, True)
    assert me.can_join_groups is True
    with pytest.raises(TokenValidationError):
        make_bot(server, "no-token")  # aiogram checks the token's shape before any request
    intruder = make_bot(server, "999:wrong")
    try:
        with pytest.raises(TelegramUnauthorizedError) as caught:
            await intruder.get_me()
        assert caught.value.message == "Unauthorized"
    finally:
        await intruder.session.close()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/bot{server.token}/noSuchMethod") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
        async with http.post(
            f"{server.url}/bot{server.token}/SENDMESSAGE", json={"chat_id": 1, "text": "x"}
        ) as response:
            assert response.status == 400
            assert (await response.json())["description"] == "Bad Request: chat not found"


async def test_polling_delivers_text_command_mention_voice_photo(
    server: FakeTelegramServer, bot: Bot
) -> None:
    router = Router()
    photo_bytes = png(1280, 960)

    @router.message(Command("start"))
    async def on_start(message: Message) -> None:
        await message.answer("welcome")

    @router.message(mentions(server.bot_username))
    async def on_mention(message: Message) -> None:
        await message.answer("you called?")

    @router.message(F.text & ~F.text.startswith("/"))
    async def on_text(message: Message) -> None:
        await message.answer(f"echo: {message.text}")

    @router.message(F.voice)
    async def on_voice(message: Message, bot: Bot) -> None:
        assert message.voice is not None
        data = await bot.download(message.voice)
        assert data is not None
        await message.answer(f"voice {data.read()!r} {message.voice.duration}s")

    @router.message(F.photo)
    async def on_photo(message: Message, bot: Bot) -> None:
        assert message.photo is not None
        largest = message.photo[-1]
        data = await bot.download(largest)
        assert data is not None
        same = data.read() == photo_bytes
        await message.answer(f"photo {largest.width}x{largest.height} {same} {message.caption}")

    dp = Dispatcher()
    dp.include_router(router)
    polling = asyncio.create_task(serve(dp, bot, updates=6))
    server.send_text(ALICE, "/start")
    server.send_text(ALICE, "hello")
    server.send_text(BOB, f"/start@{server.bot_username}", chat=TEAM)
    server.send_text(BOB, f"@{server.bot_username} what is 2+2?", chat=TEAM)
    server.send_voice(ALICE, b"OggS-voice", duration=3)
    last = server.send_photo(ALICE, photo_bytes, width=1280, height=960, caption="what is this?")
    await server.wait_for_calls("sendMessage", 4, chat_id=ALICE.id)
    await server.wait_for_calls("sendMessage", 2, chat_id=TEAM.id)
    await polling

    assert [m["text"] for m in server.bot_messages(ALICE.id)] == [
        "welcome",
        "echo: hello",
        "voice b'OggS-voice' 3s",
        "photo 1280x960 True what is this?",
    ]
    assert [m["text"] for m in server.bot_messages(TEAM.id)] == ["welcome", "you called?"]
    assert [m["message_id"] for m in server.chat_log(ALICE.id)] == list(range(1, 9))
    [voice_path, photo_path] = server.downloads
    assert re.fullmatch(r"voice/file_\d+\.oga", voice_path)
    assert re.fullmatch(r"photos/file_\d+\.jpg", photo_path)
    # The final getUpdates confirmed everything: nothing is pending any more.
    final_poll = server.calls_of("getUpdates")[-1]
    assert final_poll.params["offset"] == str(last["update_id"] + 1)
    assert (await bot.get_webhook_info()).pending_update_count == 0


async def test_offsets_confirm_and_redelivery(server: FakeTelegramServer, bot: Bot) -> None:
    first = server.send_text(ALICE, "one")
    second = server.send_text(ALICE, "two")

    fetched = await bot.get_updates(timeout=0)
    again = await bot.get_updates(offset=first["update_id"] + 1, timeout=0)
    server.redeliver(first)
    redelivered = await bot.get_updates(offset=second["update_id"] + 1, timeout=0)
    empty = await bot.get_updates(offset=second["update_id"] + 1, timeout=0)

    assert [u.update_id for u in fetched] == [first["update_id"], second["update_id"]]
    assert [u.update_id for u in again] == [second["update_id"]]
    assert [u.update_id for u in redelivered] == [first["update_id"]]
    assert empty == []


async def test_long_poll_wakes_on_update_and_filters_allowed_updates(
    server: FakeTelegramServer, bot: Bot
) -> None:
    server.add_chat(ALICE)
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="A", callback_data="a")]]
    )
    sent = await bot.send_message(chat_id=ALICE.id, text="pick", reply_markup=keyboard)
    server.send_text(ALICE, "ignored kind")
    server.press_button(ALICE, sent.model_dump(mode="json", by_alias=True), "a")

    updates = await bot.get_updates(timeout=5, allowed_updates=["callback_query"])

    assert [u.callback_query.data for u in updates if u.callback_query] == ["a"]
    assert len(updates) == 1


async def test_callback_query_round_trip(server: FakeTelegramServer, bot: Bot) -> None:
    router = Router()

    @router.message(Command("start"))
    async def on_start(message: Message) -> None:
        keyboard = [[InlineKeyboardButton(text="Again", callback_data="regen:1")]]
        await message.answer("pick", reply_markup=InlineKeyboardMarkup(inline_keyboard=keyboard))

    @router.callback_query()
    async def on_button(query: CallbackQuery) -> None:
        assert isinstance(query.message, Message)
        await query.answer("done")
        await query.message.edit_text(f"chose {query.data}")

    dp = Dispatcher()
    dp.include_router(router)
    polling = asyncio.create_task(serve(dp, bot, updates=2))
    server.send_text(ALICE, "/start")
    [message] = await server.wait_for_bot_messages(ALICE.id, 1)
    server.press_button(ALICE, message, "regen:1")
    await server.wait_for_calls("editMessageText")
    await polling

    [edited] = server.bot_messages(ALICE.id)
    assert edited["text"] == "chose regen:1"
    assert "reply_markup" not in edited
    assert "edit_date" in edited
    assert [a["text"] for a in server.callback_answers] == ["done"]
    with pytest.raises(ValueError, match="no button"):
        server.press_button(ALICE, edited, "regen:1")


async def test_wait_for_calls_times_out_readably(server: FakeTelegramServer, bot: Bot) -> None:
    server.add_chat(ALICE)
    await bot.send_chat_action(chat_id=ALICE.id, action="typing")
    with pytest.raises(AssertionError) as caught:
        await server.wait_for_calls("sendMessage", timeout=0.05, chat_id=ALICE.id)
    message = str(caught.value)
    assert "waiting for 1 successful sendMessage call(s) in chat 42; got 0" in message
    assert "sendChatAction [200] chat=42" in message


async def test_subscribers_see_events(server: FakeTelegramServer, bot: Bot) -> None:
    events: list[FakeEvent] = []
    unsubscribe = server.subscribe(events.append)
    try:
        server.send_text(ALICE, "hi")
        await bot.send_message(chat_id=ALICE.id, text="hello")
    finally:
        unsubscribe()
    kinds = [e.kind for e in events]
    assert kinds[:2] == ["message", "update"]
    assert "call" in kinds
    assert kinds.count("message") == 2


async def test_get_updates_conflicts_while_webhook_set(
    server: FakeTelegramServer, bot: Bot
) -> None:
    await bot.set_webhook(url="http://127.0.0.1:9/hook", secret_token="s3cr3t-Token_1")
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates(timeout=0)
    with pytest.raises(TelegramBadRequest, match="secret token contains unallowed characters"):
        await bot.set_webhook(url="http://127.0.0.1:9/hook", secret_token="bad token!")
    await bot.delete_webhook()
    assert await bot.get_updates(timeout=0) == []


async def test_user_side_replies_threads_privacy_and_blocking(
    server: FakeTelegramServer, bot: Bot
) -> None:
    forum = FakeChat(-1009, "supergroup", title="Forum", is_forum=True)
    asked = server.send_text(BOB, "topic start", chat=forum, message_thread_id=5)["message"]
    reply = server.send_text(
        ALICE, "re", chat=forum, reply_to_message_id=asked["message_id"], message_thread_id=5
    )["message"]
    assert reply["reply_to_message"]["text"] == "topic start"
    assert (reply["message_thread_id"], reply["is_topic_message"]) == (5, True)
    with pytest.raises(ValueError, match="does not exist"):
        server.send_text(ALICE, "x", chat=forum, reply_to_message_id=404)

    server.privacy_mode = True
    try:
        ignored = server.send_text(BOB, "just chatting", chat=TEAM)
        addressed = server.send_text(BOB, f"hey @{server.bot_username}", chat=TEAM)
        private = server.send_text(BOB, "hello")
    finally:
        server.privacy_mode = False
    assert "update_id" not in ignored
    assert "update_id" in addressed
    assert "update_id" in private
    injected = server.inject_update({"message": addressed["message"]})
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates][-1] == injected["update_id"]
    assert len(server.chat_log(TEAM.id)) == 2

    server.set_blocked(BOB)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(chat_id=BOB.id, text="still there?")
