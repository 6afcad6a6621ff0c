"""Bot API methods of the fake server, called through the real aiogram 3.31."""

import re
import time
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    MessageEntity,
    ReactionTypeEmoji,
    ReplyParameters,
)

from telegemini.sandbox.fake_telegram import FakeChat, FakeTelegramServer, FakeUser
from tests.helpers.bot_api import aiogram_bot, png, running

ALICE = FakeUser(42, "Alice", username="alice")
TEAM = FakeChat(-1001234567890, "supergroup", title="Team")


def upload(data: bytes, filename: str = "upload.png") -> BufferedInputFile:
    """A file aiogram uploads as a multipart part."""
    return BufferedInputFile(data, filename=filename)


def keyboard(text: str, data: str) -> InlineKeyboardMarkup:
    """One inline button."""
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=text, callback_data=data)]]
    )


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[FakeTelegramServer]:
    async with running(FakeTelegramServer()) as fake:
        yield fake


@pytest.fixture(autouse=True)
def clean(server: FakeTelegramServer) -> None:
    server.reset()


@pytest.fixture(scope="module")
async def bot(server: FakeTelegramServer) -> AsyncIterator[Bot]:
    async with aiogram_bot(server) as client:
        yield client


async def test_get_file_and_download_round_trip(server: FakeTelegramServer, bot: Bot) -> None:
    small = server.add_file(b"\x00\x01payload", path_prefix="documents", extension="pdf")
    huge = server.add_file(b"", path_prefix="voice", extension="oga", declared_size=25 << 20)

    file = await bot.get_file(small["file_id"])

    assert file.file_path is not None
    assert re.fullmatch(r"documents/file_\d+\.pdf", file.file_path)
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None
    assert downloaded.read() == b"\x00\x01payload"
    assert server.downloads == [file.file_path]
    with pytest.raises(TelegramBadRequest, match="file is too big"):
        await bot.get_file(huge["file_id"])
    with pytest.raises(TelegramBadRequest, match="invalid file_id"):
        await bot.get_file("nope")


async def test_multipart_uploads_are_recorded_and_downloadable(
    server: FakeTelegramServer, bot: Bot
) -> None:
    server.add_chat(ALICE)
    voice = await bot.send_voice(
        chat_id=ALICE.id, voice=upload(b"OggS-reply", "reply.ogg"), duration=3, caption="hi"
    )
    photo = await bot.send_photo(chat_id=ALICE.id, photo=upload(png(2048, 1024), "a.png"))
    assert photo.photo is not None
    album = await bot.send_media_group(
        chat_id=ALICE.id,
        media=[
            InputMediaPhoto(media=upload(png(100, 100)), caption="first"),
            InputMediaPhoto(media=upload(png(200, 100))),
            InputMediaPhoto(media=photo.photo[-1].file_id),
        ],
    )

    [voice_call] = server.calls_of("sendVoice")
    [(part, voice_file)] = voice_call.files.items()  # aiogram names the part attach://<random>
    assert voice_file == ("reply.ogg", "application/octet-stream", b"OggS-reply")
    assert voice_call.params == {
        "chat_id": "42",
        "voice": f"attach://{part}",
        "duration": "3",
        "caption": "hi",
    }
    assert voice.voice is not None
    assert voice.voice.duration == 3
    assert voice.voice.mime_type == "audio/ogg"
    downloaded = await bot.download(voice.voice.file_id)
    assert downloaded is not None
    assert downloaded.read() == b"OggS-reply"
    assert [(p.width, p.height) for p in photo.photo] == [(320, 160), (2048, 1024)]
    [album_call] = server.calls_of("sendMediaGroup")
    assert [item["type"] for item in album_call.params["media"]] == ["photo"] * 3
    assert sorted(len(f.data) for f in album_call.files.values()) == [len(png(1, 1))] * 2
    assert len({m.media_group_id for m in album}) == 1
    assert [m.caption for m in album] == ["first", None, None]
    assert album[2].photo is not None
    assert album[2].photo[-1].file_id == photo.photo[-1].file_id
    assert len(server.bot_messages(ALICE.id)) == 5


async def test_media_limits(server: FakeTelegramServer, bot: Bot) -> None:
    server.add_chat(ALICE)
    with pytest.raises(TelegramBadRequest, match="PHOTO_INVALID_DIMENSIONS"):
        await bot.send_photo(chat_id=ALICE.id, photo=upload(png(9000, 2000)))
    with pytest.raises(TelegramBadRequest, match="too few messages to send as an album"):
        await bot.send_media_group(
            chat_id=ALICE.id, media=[InputMediaPhoto(media=upload(png(10, 10)))]
        )
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(chat_id=ALICE.id, photo=upload(png(10, 10)), caption="c" * 1025)
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_voice(chat_id=ALICE.id, voice="no-such-file")
    assert server.bot_messages(ALICE.id) == []


async def test_markdown_v2_html_and_entities_through_aiogram(
    server: FakeTelegramServer, bot: Bot
) -> None:
    server.add_chat(ALICE)
    markdown = await bot.send_message(
        chat_id=ALICE.id, text="*bold* and \\.", parse_mode="MarkdownV2"
    )
    html = await bot.send_message(
        chat_id=ALICE.id, text="<b>bold</b> &amp; <code>x</code>", parse_mode="HTML"
    )

    assert (markdown.text, [e.type for e in markdown.entities or []]) == ("bold and .", ["bold"])
    assert (html.text, [e.type for e in html.entities or []]) == ("bold & x", ["bold", "code"])
    with pytest.raises(TelegramBadRequest, match=r"can't parse entities: Character '\.' is"):
        await bot.send_message(chat_id=ALICE.id, text="Hello.", parse_mode="MarkdownV2")
    with pytest.raises(TelegramBadRequest, match='Unsupported start tag "foo" at byte offset 0'):
        await bot.send_message(chat_id=ALICE.id, text="<foo>x</foo>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(
            chat_id=ALICE.id,
            text="short",
            entities=[MessageEntity(type="bold", offset=2, length=9)],
        )
    failed = server.calls_of("sendMessage")[2]
    assert failed.status == 400
    assert failed.result == (
        "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with "
        "the preceding '\\'"
    )


async def test_length_keyboard_and_reply_limits(server: FakeTelegramServer, bot: Bot) -> None:
    server.add_chat(ALICE)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(chat_id=ALICE.id, text="x" * 4097)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(chat_id=ALICE.id, text="   ")
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(chat_id=ALICE.id, text="keys", reply_markup=keyboard("b", "d" * 65))
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(
            chat_id=ALICE.id, text="re", reply_parameters=ReplyParameters(message_id=99)
        )
    lenient = await bot.send_message(
        chat_id=ALICE.id,
        text="re",
        reply_parameters=ReplyParameters(message_id=99, allow_sending_without_reply=True),
    )
    asked = server.send_text(ALICE, "question")
    answer = await bot.send_message(
        chat_id=ALICE.id,
        text="answer",
        reply_parameters=ReplyParameters(message_id=asked["message"]["message_id"]),
    )

    assert lenient.reply_to_message is None
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "question"
    assert server.bot_messages(ALICE.id)[-1]["reply_to_message"]["from"]["id"] == ALICE.id


async def test_edit_and_delete(server: FakeTelegramServer, bot: Bot) -> None:
    server.add_chat(ALICE)
    sent = await bot.send_message(chat_id=ALICE.id, text="draft")
    edited = await bot.edit_message_text(text="final", chat_id=ALICE.id, message_id=sent.message_id)

    assert isinstance(edited, Message)
    assert edited.edit_date is not None
    with pytest.raises(TelegramBadRequest, match="message is not modified: specified new message"):
        await bot.edit_message_text(text="final", chat_id=ALICE.id, message_id=sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text(text="x", chat_id=ALICE.id, message_id=999)
    user_message = server.send_text(ALICE, "mine")["message"]
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text(
            text="x", chat_id=ALICE.id, message_id=user_message["message_id"]
        )
    assert await bot.delete_message(chat_id=ALICE.id, message_id=sent.message_id) is True
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(chat_id=ALICE.id, message_id=sent.message_id)
    assert server.bot_messages(ALICE.id) == []
    assert [m["text"] for m in server.chat_log(ALICE.id)] == ["mine"]


async def test_drafts_only_in_private_chats(server: FakeTelegramServer, bot: Bot) -> None:
    server.add_chat(ALICE)
    server.add_chat(TEAM)
    assert await bot.send_message_draft(chat_id=ALICE.id, draft_id=7, text="Thinking") is True
    assert (
        await bot.send_message_draft(chat_id=ALICE.id, draft_id=7, text="Thinking harder") is True
    )

    with pytest.raises(TelegramBadRequest, match="TEXTDRAFT_PEER_INVALID"):
        await bot.send_message_draft(chat_id=TEAM.id, draft_id=7, text="nope")
    [draft] = server.drafts(ALICE.id)
    assert (draft.draft_id, draft.text, draft.updates) == (7, "Thinking harder", 2)


async def test_retry_after_fault_and_flood_control(server: FakeTelegramServer, bot: Bot) -> None:
    server.add_chat(ALICE)
    server.fail_next("sendMessage", retry_after=3)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(chat_id=ALICE.id, text="hi")
    assert caught.value.retry_after == 3
    server.fail_next("sendMessage", status=403, chat_id=ALICE.id)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(chat_id=ALICE.id, text="hi")
    await bot.send_message(chat_id=ALICE.id, text="through")

    server.flood_control = True
    server.flood.clock = lambda: 1000.0  # frozen time: no budget comes back during the test
    try:
        for _ in range(3):  # a burst of 3, then about 1 per second
            await bot.send_message(chat_id=ALICE.id, text="burst")
        with pytest.raises(TelegramRetryAfter) as flooded:
            await bot.send_message(chat_id=ALICE.id, text="too fast")
    finally:
        server.flood_control = False
        server.flood.clock = time.monotonic
    assert flooded.value.retry_after == 1
    statuses = [call.status for call in server.calls_of("sendMessage")]
    assert statuses == [429, 403, 200, 200, 200, 200, 429]


async def test_commands_actions_reactions(server: FakeTelegramServer, bot: Bot) -> None:
    server.add_chat(ALICE)
    scope = BotCommandScopeAllPrivateChats()
    commands = [
        BotCommand(command="start", description="Start"),
        BotCommand(command="reset", description="Reset"),
    ]
    await bot.set_my_commands(commands=commands, scope=scope, language_code="en")
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands(commands=[BotCommand(command="Bad-Name", description="x")])
    await bot.send_chat_action(chat_id=ALICE.id, action="typing")
    sent = await bot.send_message(chat_id=ALICE.id, text="x")
    await bot.set_message_reaction(
        chat_id=ALICE.id, message_id=sent.message_id, reaction=[ReactionTypeEmoji(emoji="👀")]
    )

    stored = await bot.get_my_commands(scope=scope, language_code="en")
    assert [c.command for c in stored] == ["start", "reset"]
    assert await bot.get_my_commands() == []
    assert server.commands({"type": "all_private_chats"}, "en")[0]["description"] == "Start"
    assert [a.action for a in server.chat_actions(ALICE.id)] == ["typing"]
    assert server.reactions(ALICE.id, sent.message_id) == [{"type": "emoji", "emoji": "👀"}]
    with pytest.raises(TelegramBadRequest, match="wrong parameter action"):
        await bot.send_chat_action(chat_id=ALICE.id, action="dancing")


async def test_captions_documents_and_keyboard_edits(server: FakeTelegramServer, bot: Bot) -> None:
    server.add_chat(ALICE)
    go = keyboard("Go", "go")
    document = await bot.send_document(
        chat_id=ALICE.id,
        document=upload(b"%PDF-1", "report.pdf"),
        caption="<b>v1</b>",
        parse_mode="HTML",
    )
    recaptioned = await bot.edit_message_caption(
        chat_id=ALICE.id, message_id=document.message_id, caption="v2", reply_markup=go
    )
    unkeyed = await bot.edit_message_reply_markup(chat_id=ALICE.id, message_id=document.message_id)

    assert document.document is not None
    assert (document.document.file_name, document.document.mime_type) == (
        "report.pdf",
        "application/pdf",
    )
    assert document.caption_entities is not None
    assert document.caption_entities[0].type == "bold"
    assert isinstance(recaptioned, Message)
    assert recaptioned.caption == "v2"
    assert recaptioned.reply_markup is not None
    assert recaptioned.reply_markup.model_dump() == go.model_dump()
    assert isinstance(unkeyed, Message)
    assert unkeyed.reply_markup is None
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(chat_id=ALICE.id, message_id=document.message_id)
    chat = await bot.get_chat(chat_id=ALICE.id)
    assert (chat.id, chat.type, chat.first_name) == (ALICE.id, "private", "Alice")
