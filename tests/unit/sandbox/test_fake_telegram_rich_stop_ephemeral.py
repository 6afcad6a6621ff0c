"""Draft Stop buttons (Bot API 10.3) and ephemeral messages (10.2/10.3) in the fake Telegram
server, driven by the real aiogram."""

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramNotFound
from aiogram.types import (
    BotCommand,
    EphemeralMessageParameters,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputRichMessage,
    ReplyParameters,
)

from telegemini.sandbox.fake_telegram import FakeChat, FakeTelegramServer, FakeUser
from tests.helpers.bot_api import aiogram_bot, running

ALICE = FakeUser(42, "Alice", username="alice")
BOB = FakeUser(43, "Bob")
TEAM = FakeChat(-1001234567890, "supergroup", title="Team")


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[FakeTelegramServer]:
    async with running(FakeTelegramServer(rich_messages=True)) as fake:  # off by default
        yield fake


@pytest.fixture(autouse=True)
def clean(server: FakeTelegramServer) -> None:
    server.reset()
    for chat in (ALICE, BOB, TEAM):
        server.add_chat(chat)


@pytest.fixture(scope="module")
async def bot(server: FakeTelegramServer) -> AsyncIterator[Bot]:
    async with aiogram_bot(server) as client:
        yield client


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def to(user: FakeUser, **kwargs: object) -> EphemeralMessageParameters:
    return EphemeralMessageParameters(receiver_user_id=user.id, **kwargs)


# --- Stop --------------------------------------------------------------------------------------


async def test_press_stop_delivers_the_update_aiogram_parses(
    server: FakeTelegramServer, bot: Bot
) -> None:
    rich = InputRichMessage(markdown="Thinking about it")
    await bot.send_rich_message_draft(
        chat_id=ALICE.id, draft_id=7, rich_message=rich, can_stop=True
    )

    pressed = server.press_stop(ALICE)

    [update] = await bot.get_updates(timeout=1)  # allowed_updates never set: the default
    assert update.update_id == pressed["update_id"]
    stopped = update.stopped_message_generation
    assert stopped is not None
    assert (stopped.draft_id, stopped.chat.id, stopped.message_thread_id) == (7, ALICE.id, None)
    [draft] = server.drafts(ALICE.id)
    assert draft.stopped

    await bot.send_message_draft(chat_id=ALICE.id, draft_id=8, text="again", can_stop=True)
    server.press_stop(ALICE)
    offset = update.update_id + 1
    [listed] = await bot.get_updates(offset=offset, allowed_updates=["stopped_message_generation"])
    assert listed.stopped_message_generation is not None
    assert listed.stopped_message_generation.draft_id == 8
    await bot.send_message_draft(chat_id=ALICE.id, draft_id=9, text="more", can_stop=True)
    server.press_stop(ALICE)  # not asked for: Telegram drops it
    assert await bot.get_updates(offset=listed.update_id + 1, allowed_updates=["message"]) == []


async def test_stop_needs_a_stop_button_on_a_shown_draft(
    server: FakeTelegramServer, bot: Bot
) -> None:
    with pytest.raises(ValueError, match="no Stop button"):
        server.press_stop(ALICE)
    await bot.send_message_draft(chat_id=ALICE.id, draft_id=3, text="no button")
    with pytest.raises(ValueError, match="has no Stop button"):
        server.press_stop(ALICE)
    await bot.send_message_draft(chat_id=ALICE.id, draft_id=3, text="now", can_stop=True)
    await bot.send_message(chat_id=ALICE.id, text="final answer")
    with pytest.raises(ValueError, match="no Stop button"):
        server.press_stop(ALICE)  # the final message replaced the draft
    with pytest.raises(ValueError, match="is gone"):
        server.press_stop(ALICE, draft_id=3)
    assert server.calls_of("getUpdates") == []


async def test_drafts_after_stop_are_accepted_but_only_counted(
    server: FakeTelegramServer, bot: Bot
) -> None:
    await bot.send_message_draft(
        chat_id=ALICE.id, draft_id=4, text="partial", can_stop=True, keep_on_stop=True
    )
    server.press_stop(ALICE)

    assert await bot.send_message_draft(chat_id=ALICE.id, draft_id=4, text="late token") is True
    assert await bot.send_rich_message_draft(
        chat_id=ALICE.id, draft_id=4, rich_message=InputRichMessage(markdown="later")
    )

    [draft] = server.drafts(ALICE.id)
    assert (draft.text, draft.keep_on_stop, draft.stopped, draft.after_stop) == (
        "partial",
        True,
        True,
        2,
    )
    history = server.draft_history(ALICE.id)
    assert [(d.text, d.stopped) for d in history] == [
        ("partial", False),
        ("late token", True),
        ("later", True),
    ]
    with pytest.raises(ValueError, match="already stopped"):
        server.press_stop(ALICE, draft_id=4)


async def test_stop_in_a_topic_names_the_thread(server: FakeTelegramServer, bot: Bot) -> None:
    await bot.send_message_draft(
        chat_id=ALICE.id, draft_id=2, text="in topic", message_thread_id=77, can_stop=True
    )
    with pytest.raises(ValueError, match="topic 5"):
        server.press_stop(ALICE, thread_id=5)
    update = server.press_stop(ALICE, thread_id=77)
    assert update["stopped_message_generation"]["message_thread_id"] == 77


# --- ephemeral messages -----------------------------------------------------------------------


async def test_admin_bot_sends_ephemeral_messages_kept_apart(
    server: FakeTelegramServer, bot: Bot
) -> None:
    server.set_bot_admin(TEAM)
    public = await bot.send_message(chat_id=TEAM.id, text="for everyone")

    first = await bot.send_message(
        chat_id=TEAM.id, text="only Bob", ephemeral_message_parameters=to(BOB)
    )
    second = await bot.send_rich_message(
        chat_id=TEAM.id,
        rich_message=InputRichMessage(markdown="# Only Alice"),
        ephemeral_message_parameters=to(ALICE),
        reply_parameters=ReplyParameters(message_id=public.message_id),
    )

    assert (first.message_id, second.message_id) == (0, 0)
    assert first.ephemeral_message_id is not None
    assert second.ephemeral_message_id == first.ephemeral_message_id + 1
    assert first.receiver_user is not None
    assert first.receiver_user.id == BOB.id
    assert second.reply_to_message is not None
    assert second.reply_to_message.message_id == public.message_id
    assert [m["text"] for m in server.bot_messages(TEAM.id)] == ["for everyone"]
    assert [m.get("text") for m in server.ephemeral_messages(TEAM.id)] == ["only Bob", None]
    [to_alice] = server.ephemeral_messages(TEAM.id, ALICE.id)
    assert to_alice["_rich_markdown"] == "# Only Alice"
    assert await server.wait_for_ephemeral_messages(TEAM.id, 1, user_id=BOB.id)

    await bot.edit_ephemeral_message_text(
        chat_id=TEAM.id,
        receiver_user_id=BOB.id,
        ephemeral_message_id=first.ephemeral_message_id,
        text="only Bob, edited",
    )
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_ephemeral_message_text(
            chat_id=TEAM.id,
            receiver_user_id=ALICE.id,
            ephemeral_message_id=first.ephemeral_message_id,
            text="wrong receiver",
        )
    assert server.ephemeral_messages(TEAM.id, BOB.id)[0]["text"] == "only Bob, edited"
    assert await bot.delete_ephemeral_message(
        chat_id=TEAM.id, receiver_user_id=BOB.id, ephemeral_message_id=first.ephemeral_message_id
    )
    assert server.ephemeral_messages(TEAM.id, BOB.id) == []


async def test_non_admin_bot_needs_an_ephemeral_command_or_a_fresh_press(
    server: FakeTelegramServer, bot: Bot
) -> None:
    server.clock = clock = Clock()
    question = server.send_text(BOB, "what is RAG?", chat=TEAM)["message"]
    with pytest.raises(TelegramBadRequest, match="CHAT_ADMIN_REQUIRED"):  # a private reply to
        await bot.send_message(  # an ordinary group message is an administrator's privilege
            chat_id=TEAM.id,
            text="psst",
            reply_parameters=ReplyParameters(message_id=question["message_id"]),
            ephemeral_message_parameters=to(BOB),
        )

    with pytest.raises(ValueError, match="is_ephemeral"):
        server.send_ephemeral_command(BOB, "/ask what is RAG?", chat=TEAM)
    await bot.set_my_commands([BotCommand(command="ask", description="Ask", is_ephemeral=True)])
    assert (await bot.get_my_commands())[0].is_ephemeral is True
    sent = server.send_ephemeral_command(BOB, "/ask what is RAG?", chat=TEAM)
    [update] = await bot.get_updates(offset=-1)
    assert update.message is not None
    assert (update.message.message_id, update.update_id) == (0, sent["update_id"])

    answer = await update.message.reply("RAG = retrieval-augmented generation")  # aiogram fills
    assert answer.ephemeral_message_id is not None  # reply_parameters.ephemeral_message_id and
    assert answer.reply_to_message is not None  # ephemeral_message_parameters from the message
    assert answer.reply_to_message.ephemeral_message_id == update.message.ephemeral_message_id
    assert server.chat_log(TEAM.id) == [question]  # nothing public

    clock.now += 16
    with pytest.raises(TelegramBadRequest, match="EPHEMERAL_MESSAGE_EXPIRED"):
        await update.message.reply("too late")


async def test_callback_query_allows_an_ephemeral_answer_for_15_seconds(
    server: FakeTelegramServer, bot: Bot
) -> None:
    server.clock = clock = Clock()
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Settings", callback_data="settings")]]
    )
    menu = await bot.send_message(chat_id=TEAM.id, text="Menu", reply_markup=keyboard)
    pressed = server.press_button(ALICE, server.message(TEAM.id, menu.message_id) or {}, "settings")
    query_id = pressed["callback_query"]["id"]

    with pytest.raises(TelegramBadRequest, match="query is too old"):  # Bob did not press it
        await bot.send_message(
            chat_id=TEAM.id,
            text="x",
            ephemeral_message_parameters=to(BOB, callback_query_id=query_id),
        )
    private = await bot.send_message(
        chat_id=TEAM.id,
        text="Your settings",
        ephemeral_message_parameters=to(
            ALICE, callback_query_id=query_id, replace_callback_query_message=True
        ),
    )
    assert private.ephemeral_message_id is not None
    assert (
        server.ephemeral_messages(TEAM.id, ALICE.id)[0]["_replaces_message_id"] == menu.message_id
    )
    clock.now += 15.5
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.send_message(
            chat_id=TEAM.id,
            text="late",
            ephemeral_message_parameters=to(ALICE, callback_query_id=query_id),
        )


async def test_ephemeral_refusals(server: FakeTelegramServer, bot: Bot) -> None:
    server.set_bot_admin(TEAM)
    with pytest.raises(TelegramBadRequest, match="group and supergroup"):
        await bot.send_message(chat_id=ALICE.id, text="x", ephemeral_message_parameters=to(ALICE))
    with pytest.raises(TelegramBadRequest, match="user not found"):
        await bot.send_message(
            chat_id=TEAM.id,
            text="x",
            ephemeral_message_parameters=EphemeralMessageParameters(receiver_user_id=999),
        )
    with pytest.raises(TelegramBadRequest, match="must be an ephemeral message"):
        await bot.send_message(
            chat_id=TEAM.id, text="x", reply_parameters=ReplyParameters(ephemeral_message_id=1)
        )

    server.ephemeral_enabled = False
    with pytest.raises(TelegramBadRequest, match="ephemeral messages are not supported"):
        await bot.send_message(chat_id=TEAM.id, text="x", ephemeral_message_parameters=to(BOB))
    with pytest.raises(TelegramNotFound, match="method not found"):
        await bot.delete_ephemeral_message(
            chat_id=TEAM.id, receiver_user_id=BOB.id, ephemeral_message_id=1
        )
    assert server.ephemeral_messages(TEAM.id) == []
    server.reset()
    assert server.ephemeral_enabled is True
    assert FakeTelegramServer(ephemeral_messages=False).ephemeral_enabled is False
