"""Bot API methods of the fake server, called through the real python-telegram-bot 22.8."""

import datetime as dtm
import re
import time
import zlib
from collections.abc import AsyncIterator

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    MessageEntity,
    ReactionTypeEmoji,
)
from telegram.error import BadRequest, Forbidden, RetryAfter

from telegemini.sandbox.fake_telegram import FakeChat, FakeTelegramServer, FakeUser

ALICE = FakeUser(42, "Alice", username="alice")
TEAM = FakeChat(-1001234567890, "supergroup", title="Team")


def png(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` x ``height``."""
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x02\x00\x00\x00"
    chunk = b"IHDR" + header
    return (
        b"\x89PNG\r\n\x1a\n"
        + len(header).to_bytes(4, "big")
        + chunk
        + zlib.crc32(chunk).to_bytes(4, "big")
        + b"\x00\x00\x00\x00IEND\xaeB`\x82"
    )


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[FakeTelegramServer]:
    fake = FakeTelegramServer()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture(autouse=True)
def clean(server: FakeTelegramServer) -> None:
    server.reset()


@pytest.fixture
async def bot(server: FakeTelegramServer) -> AsyncIterator[Bot]:
    async with Bot(
        server.token, base_url=server.base_url, base_file_url=server.base_file_url
    ) as client:
        yield client


async def test_get_file_and_download_round_trip(server: FakeTelegramServer, bot: Bot) -> None:
    small = server.add_file(b"\x00\x01payload", path_prefix="documents", extension="pdf")
    huge = server.add_file(b"", path_prefix="voice", extension="oga", declared_size=25 << 20)

    file = await bot.get_file(small["file_id"])

    assert file.file_path is not None
    assert re.search(r"/file/bot[^/]+/documents/file_\d+\.pdf$", file.file_path)
    assert bytes(await file.download_as_bytearray()) == b"\x00\x01payload"
    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(huge["file_id"])
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("nope")


async def test_multipart_uploads_are_recorded_and_downloadable(
    server: FakeTelegramServer, bot: Bot
) -> None:
    server.add_chat(ALICE)
    voice = await bot.send_voice(
        ALICE.id, voice=b"OggS-reply", filename="reply.ogg", duration=3, caption="hi"
    )
    photo = await bot.send_photo(ALICE.id, photo=png(2048, 1024), filename="a.png")
    album = await bot.send_media_group(
        ALICE.id,
        media=[
            InputMediaPhoto(png(100, 100), caption="first"),
            InputMediaPhoto(png(200, 100)),
            InputMediaPhoto(photo.photo[-1].file_id),
        ],
    )

    [voice_call] = server.calls_of("sendVoice")
    assert voice_call.files["voice"] == ("reply.ogg", "audio/ogg", b"OggS-reply")
    assert voice_call.params == {"chat_id": "42", "duration": "3", "caption": "hi"}
    assert voice.voice is not None
    assert voice.voice.duration == dtm.timedelta(seconds=3)
    assert voice.voice.mime_type == "audio/ogg"
    downloaded = await (await bot.get_file(voice.voice.file_id)).download_as_bytearray()
    assert bytes(downloaded) == b"OggS-reply"
    assert [(p.width, p.height) for p in photo.photo] == [(320, 160), (2048, 1024)]
    [album_call] = server.calls_of("sendMediaGroup")
    assert [item["type"] for item in album_call.params["media"]] == ["photo"] * 3
    assert sorted(len(f.data) for f in album_call.files.values()) == [len(png(1, 1))] * 2
    assert len({m.media_group_id for m in album}) == 1
    assert [m.caption for m in album] == ["first", None, None]
    assert album[2].photo[-1].file_id == photo.photo[-1].file_id
    assert len(server.bot_messages(ALICE.id)) == 5


async def test_media_limits(server: FakeTelegramServer, bot: Bot) -> None:
    server.add_chat(ALICE)
    with pytest.raises(BadRequest, match="Photo_invalid_dimensions"):
        await bot.send_photo(ALICE.id, photo=png(9000, 2000))
    with pytest.raises(BadRequest, match="Too few messages to send as an album"):
        await bot.send_media_group(ALICE.id, media=[InputMediaPhoto(png(10, 10))])
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(ALICE.id, photo=png(10, 10), caption="c" * 1025)
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_voice(ALICE.id, voice="no-such-file")
    assert server.bot_messages(ALICE.id) == []


async def test_markdown_v2_html_and_entities_through_ptb(
    server: FakeTelegramServer, bot: Bot
) -> None:
    server.add_chat(ALICE)
    markdown = await bot.send_message(ALICE.id, "*bold* and \\.", parse_mode="MarkdownV2")
    html = await bot.send_message(ALICE.id, "<b>bold</b> &amp; <code>x</code>", parse_mode="HTML")

    assert (markdown.text, [e.type for e in markdown.entities]) == ("bold and .", ["bold"])
    assert (html.text, [e.type for e in html.entities]) == ("bold & x", ["bold", "code"])
    with pytest.raises(BadRequest, match=r"Can't parse entities: character '\.' is reserved"):
        await bot.send_message(ALICE.id, "Hello.", parse_mode="MarkdownV2")
    with pytest.raises(BadRequest, match='unsupported start tag "foo" at byte offset 0'):
        await bot.send_message(ALICE.id, "<foo>x</foo>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(ALICE.id, "short", entities=[MessageEntity("bold", 2, 9)])
    failed = server.calls_of("sendMessage")[2]
    assert failed.status == 400
    assert failed.result == (
        "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with "
        "the preceding '\\'"
    )


async def test_length_keyboard_and_reply_limits(server: FakeTelegramServer, bot: Bot) -> None:
    server.add_chat(ALICE)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(ALICE.id, "x" * 4097)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(ALICE.id, "   ")
    too_long_data = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(ALICE.id, "keys", reply_markup=too_long_data)
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(ALICE.id, "re", reply_to_message_id=99)
    lenient = await bot.send_message(
        ALICE.id, "re", reply_to_message_id=99, allow_sending_without_reply=True
    )
    asked = server.send_text(ALICE, "question")
    answer = await bot.send_message(
        ALICE.id, "answer", reply_to_message_id=asked["message"]["message_id"]
    )

    assert lenient.reply_to_message is None
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "question"
    assert server.bot_messages(ALICE.id)[-1]["reply_to_message"]["from"]["id"] == ALICE.id


async def test_edit_and_delete(server: FakeTelegramServer, bot: Bot) -> None:
    server.add_chat(ALICE)
    sent = await bot.send_message(ALICE.id, "draft")
    edited = await bot.edit_message_text("final", chat_id=ALICE.id, message_id=sent.message_id)

    assert isinstance(edited, Message)
    assert edited.edit_date is not None
    with pytest.raises(BadRequest, match="Message is not modified: specified new message"):
        await bot.edit_message_text("final", chat_id=ALICE.id, message_id=sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=ALICE.id, message_id=999)
    user_message = server.send_text(ALICE, "mine")["message"]
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("x", chat_id=ALICE.id, message_id=user_message["message_id"])
    assert await bot.delete_message(ALICE.id, sent.message_id) is True
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(ALICE.id, sent.message_id)
    assert server.bot_messages(ALICE.id) == []
    assert [m["text"] for m in server.chat_log(ALICE.id)] == ["mine"]


async def test_drafts_only_in_private_chats(server: FakeTelegramServer, bot: Bot) -> None:
    server.add_chat(ALICE)
    server.add_chat(TEAM)
    assert await bot.send_message_draft(ALICE.id, draft_id=7, text="Thinking") is True
    assert await bot.send_message_draft(ALICE.id, draft_id=7, text="Thinking harder") is True

    with pytest.raises(BadRequest, match="Textdraft_peer_invalid"):
        await bot.send_message_draft(TEAM.id, draft_id=7, text="nope")
    [draft] = server.drafts(ALICE.id)
    assert (draft.draft_id, draft.text, draft.updates) == (7, "Thinking harder", 2)


async def test_retry_after_fault_and_flood_control(server: FakeTelegramServer, bot: Bot) -> None:
    server.add_chat(ALICE)
    server.fail_next("sendMessage", retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(ALICE.id, "hi")
    assert caught.value.retry_after == dtm.timedelta(seconds=3)
    server.fail_next("sendMessage", status=403, chat_id=ALICE.id)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ALICE.id, "hi")
    await bot.send_message(ALICE.id, "through")

    server.flood_control = True
    server.flood.clock = lambda: 1000.0  # frozen time: no budget comes back during the test
    try:
        for _ in range(3):  # a burst of 3, then about 1 per second
            await bot.send_message(ALICE.id, "burst")
        with pytest.raises(RetryAfter) as flooded:
            await bot.send_message(ALICE.id, "too fast")
    finally:
        server.flood_control = False
        server.flood.clock = time.monotonic
    assert flooded.value.retry_after == dtm.timedelta(seconds=1)
    statuses = [call.status for call in server.calls_of("sendMessage")]
    assert statuses == [429, 403, 200, 200, 200, 200, 429]


async def test_commands_actions_reactions(server: FakeTelegramServer, bot: Bot) -> None:
    server.add_chat(ALICE)
    scope = BotCommandScopeAllPrivateChats()
    commands = [BotCommand("start", "Start"), BotCommand("reset", "Reset")]
    await bot.set_my_commands(commands, scope=scope, language_code="en")
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])
    await bot.send_chat_action(ALICE.id, "typing")
    sent = await bot.send_message(ALICE.id, "x")
    await bot.set_message_reaction(ALICE.id, sent.message_id, [ReactionTypeEmoji("👀")])

    stored = await bot.get_my_commands(scope=scope, language_code="en")
    assert [c.command for c in stored] == ["start", "reset"]
    assert await bot.get_my_commands() == ()
    assert server.commands({"type": "all_private_chats"}, "en")[0]["description"] == "Start"
    assert [a.action for a in server.chat_actions(ALICE.id)] == ["typing"]
    assert server.reactions(ALICE.id, sent.message_id) == [{"type": "emoji", "emoji": "👀"}]
    with pytest.raises(BadRequest, match="Wrong parameter action"):
        await bot.send_chat_action(ALICE.id, "dancing")


async def test_captions_documents_and_keyboard_edits(server: FakeTelegramServer, bot: Bot) -> None:
    server.add_chat(ALICE)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    document = await bot.send_document(
        ALICE.id, document=b"%PDF-1", filename="report.pdf", caption="<b>v1</b>", parse_mode="HTML"
    )
    recaptioned = await bot.edit_message_caption(
        chat_id=ALICE.id, message_id=document.message_id, caption="v2", reply_markup=keyboard
    )
    unkeyed = await bot.edit_message_reply_markup(ALICE.id, document.message_id)

    assert document.document is not None
    assert (document.document.file_name, document.document.mime_type) == (
        "report.pdf",
        "application/pdf",
    )
    assert document.caption_entities[0].type == "bold"
    assert isinstance(recaptioned, Message)
    assert recaptioned.caption == "v2"
    assert recaptioned.reply_markup == keyboard
    assert isinstance(unkeyed, Message)
    assert unkeyed.reply_markup is None
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(ALICE.id, document.message_id)
    chat = await bot.get_chat(ALICE.id)
    assert (chat.id, chat.type, chat.first_name) == (ALICE.id, "private", "Alice")
