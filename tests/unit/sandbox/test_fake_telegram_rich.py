"""Rich messages (Bot API 10.1-10.3) in the fake Telegram server, driven by the real aiogram."""

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot
from aiogram.enums import ContentType
from aiogram.exceptions import TelegramBadRequest, TelegramNotFound
from aiogram.types import (
    BufferedInputFile,
    InputMediaPhoto,
    InputRichMessage,
    InputRichMessageMedia,
    Message,
    RichBlockList,
    RichBlockMathematicalExpression,
    RichBlockParagraph,
    RichBlockPhoto,
    RichBlockSectionHeading,
    RichBlockTable,
)

from telegemini.sandbox.fake_telegram import FakeChat, FakeTelegramServer, FakeUser
from tests.helpers.bot_api import aiogram_bot, png, running

ALICE = FakeUser(42, "Alice", username="alice")
TEAM = FakeChat(-1001234567890, "supergroup", title="Team")
ANSWER = """# Q3 revenue

Revenue grew **12%**, see $r = \\frac{a}{b}$.

| Month | EUR |
|:--|--:|
| Jul | 1 200 |
| Aug | 1 350 |

$$
E = mc^2
$$

1. first
2. second
"""


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[FakeTelegramServer]:
    async with running(FakeTelegramServer(rich_messages=True)) as fake:  # off by default
        yield fake


@pytest.fixture(autouse=True)
def clean(server: FakeTelegramServer) -> None:
    server.reset()
    server.add_chat(ALICE)
    server.add_chat(TEAM)


@pytest.fixture(scope="module")
async def bot(server: FakeTelegramServer) -> AsyncIterator[Bot]:
    async with aiogram_bot(server) as client:
        yield client


def md(source: str) -> InputRichMessage:
    return InputRichMessage(markdown=source)


async def test_markdown_answer_comes_back_as_parsed_blocks(
    server: FakeTelegramServer, bot: Bot
) -> None:
    sent = await bot.send_rich_message(chat_id=ALICE.id, rich_message=md(ANSWER))

    assert sent.content_type == ContentType.RICH_MESSAGE
    assert sent.text is None
    assert sent.rich_message is not None
    heading, paragraph, table, formula, numbered = sent.rich_message.blocks
    assert isinstance(heading, RichBlockSectionHeading)
    assert (heading.size, heading.text) == (1, "Q3 revenue")
    assert isinstance(paragraph, RichBlockParagraph)
    assert isinstance(table, RichBlockTable)
    assert [[cell.text for cell in row] for row in table.cells] == [
        ["Month", "EUR"],
        ["Jul", "1 200"],
        ["Aug", "1 350"],
    ]
    assert [cell.align for cell in table.cells[0]] == ["left", "right"]
    assert table.cells[0][0].is_header
    assert isinstance(formula, RichBlockMathematicalExpression)
    assert formula.expression == "E = mc^2"
    assert isinstance(numbered, RichBlockList)
    assert [item.label for item in numbered.items] == ["1.", "2."]
    inline = paragraph.model_dump()["text"]
    assert {"type": "bold", "text": "12%"} in inline
    assert {"type": "mathematical_expression", "expression": "r = \\frac{a}{b}"} in inline

    [stored] = server.bot_messages(ALICE.id)
    assert stored["_rich_markdown"] == ANSWER
    assert "Jul | 1 200" in stored["_rich_text"]
    [call] = server.calls_of("sendRichMessage")
    assert not [key for key in call.result if key.startswith("_")]  # fake-only keys stay home


async def test_exactly_one_of_markdown_html_blocks(server: FakeTelegramServer, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="rich message must be non-empty"):
        await bot.send_rich_message(chat_id=ALICE.id, rich_message=InputRichMessage())
    with pytest.raises(TelegramBadRequest, match="RICH_MESSAGE_CONTENT_REQUIRED"):
        await bot.send_rich_message(
            chat_id=ALICE.id, rich_message=InputRichMessage(markdown="# a", html="<p>a</p>")
        )
    url = f"{server.url}/bot{server.token}/sendRichMessage"
    double_encoded = {"chat_id": ALICE.id, "rich_message": json.dumps({"markdown": "hi"})}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=double_encoded) as response:
            refused = await response.json()
        async with http.post(
            url, json={"chat_id": ALICE.id, "rich_message": {"markdown": "hi"}}
        ) as response:
            accepted = await response.json()
    assert refused == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: rich message must be non-empty",
    }
    assert accepted["result"]["rich_message"] == {"blocks": [{"type": "paragraph", "text": "hi"}]}
    assert len(server.bot_messages(ALICE.id)) == 1


def _nested_quotes(levels: int) -> str:
    return "\n".join(">" * levels + " deep" for _ in range(2))


def _table(columns: int) -> str:
    header = "|" + "|".join(f"c{n}" for n in range(columns)) + "|"
    return "\n".join([header, "|" + "---|" * columns, "|" + "x|" * columns])


@pytest.mark.parametrize(
    ("fits", "too_big", "code"),
    [
        ("a" * 32768, "a" * 32769, "RICH_MESSAGE_TOO_LONG"),
        ("a" * 32760 + "\n\n$$x^{1234}$$", "a" * 32760 + "\n\n$$x^{12345}$$", "TOO_LONG"),
        ("\n".join(["- item"] * 500), "\n".join(["- item"] * 501), "TOO_MANY_BLOCKS"),
        ("# h\n\n" + "\n".join(["- item"] * 499), "# h\n\n" + "\n".join(["- i"] * 500), "BLOCKS"),
        (_table(2) + "\n|x|x|" * 498, _table(2) + "\n|x|x|" * 499, "TOO_MANY_BLOCKS"),
        (_nested_quotes(15), _nested_quotes(16), "RICH_MESSAGE_TOO_DEEP"),
        (_table(20), _table(21), "RICH_MESSAGE_TABLE_TOO_WIDE"),
    ],
    ids=["text", "formula-counts", "list-items", "headings", "table-rows", "depth", "columns"],
)
async def test_limits_give_400(bot: Bot, fits: str, too_big: str, code: str) -> None:
    assert await bot.send_rich_message(chat_id=ALICE.id, rich_message=md(fits))
    with pytest.raises(TelegramBadRequest, match=code):
        await bot.send_rich_message(chat_id=ALICE.id, rich_message=md(too_big))


async def test_media_count_and_media_links(server: FakeTelegramServer, bot: Bot) -> None:
    stored = server.add_file(png(40, 30), path_prefix="photos", extension="jpg")
    photo = InputMediaPhoto(media=stored["file_id"])
    many = [InputRichMessageMedia(id=f"m{n}", media=photo) for n in range(51)]
    with pytest.raises(TelegramBadRequest, match="RICH_MESSAGE_TOO_MANY_MEDIA"):
        await bot.send_rich_message(
            chat_id=ALICE.id, rich_message=InputRichMessage(markdown="x", media=many)
        )
    with pytest.raises(TelegramBadRequest, match="RICH_MESSAGE_MEDIA_NOT_FOUND"):
        await bot.send_rich_message(chat_id=ALICE.id, rich_message=md("![](tg://photo?id=nope)"))
    with pytest.raises(TelegramBadRequest, match="RICH_MESSAGE_MEDIA_ID_INVALID"):
        await bot.send_rich_message(
            chat_id=ALICE.id,
            rich_message=InputRichMessage(
                markdown="x", media=[InputRichMessageMedia(id="bad id!", media=photo)]
            ),
        )

    chart = InputMediaPhoto(media=BufferedInputFile(png(640, 480), filename="chart.png"))
    sent = await bot.send_rich_message(
        chat_id=ALICE.id,
        rich_message=InputRichMessage(
            markdown='## Chart\n\n![](tg://photo?id=chart "Revenue by month")',
            media=[InputRichMessageMedia(id="chart", media=chart)],
        ),
    )

    assert sent.rich_message is not None
    block = sent.rich_message.blocks[1]
    assert isinstance(block, RichBlockPhoto)
    assert block.caption is not None
    assert block.caption.text == "Revenue by month"
    assert (block.photo[-1].width, block.photo[-1].height) == (640, 480)
    file = await bot.get_file(block.photo[-1].file_id)
    assert file.file_path is not None  # the upload is stored like any other


async def test_blocks_input_is_checked_and_mapped(bot: Bot) -> None:
    cell = {"align": "left", "valign": "top", "text": "k"}
    blocks = [
        {"type": "heading", "size": 2, "text": "Answer"},
        {"type": "paragraph", "text": ["Use ", {"type": "code", "text": "asyncio.timeout"}]},
        {
            "type": "list",
            "items": [
                {"blocks": [{"type": "paragraph", "text": "done"}], "has_checkbox": True},
                {"blocks": [{"type": "paragraph", "text": "next"}], "value": 3, "type": "i"},
            ],
        },
        {"type": "table", "is_bordered": True, "cells": [[{**cell, "is_header": True}], [cell]]},
        {"type": "details", "summary": "Why", "blocks": [{"type": "paragraph", "text": "..."}]},
        {"type": "buttons", "buttons": [{"text": "Again", "callback_data": "regen:1"}]},
    ]
    sent = await bot.send_rich_message(
        chat_id=ALICE.id, rich_message=InputRichMessage.model_validate({"blocks": blocks})
    )
    assert sent.rich_message is not None
    listed = sent.rich_message.blocks[2]
    assert isinstance(listed, RichBlockList)
    assert [item.label for item in listed.items] == ["•", "iii."]


async def test_invalid_blocks_are_refused(server: FakeTelegramServer) -> None:
    refusals = [
        ({"type": "heading", "text": "x"}, "can't parse InputRichBlock: Can't find field \"size\""),
        ({"type": "table", "cells": [[{"align": "left", "text": "k"}]]}, 'field "valign"'),
        ({"type": "list", "items": [{"label": "x"}]}, 'Can\'t find field "blocks"'),
        ({"type": "buttons", "buttons": [{"text": "b", "url": "https://e.x"}] * 9}, "BUTTONS"),
        ({"type": "sparkles", "text": "x"}, "unsupported block type"),
    ]
    url = f"{server.url}/bot{server.token}/sendRichMessage"
    async with aiohttp.ClientSession() as http:  # aiogram's models would refuse some of these
        for block, error in refusals:
            payload = {"chat_id": ALICE.id, "rich_message": {"blocks": [block]}}
            async with http.post(url, json=payload) as response:
                answer = await response.json()
            assert response.status == 400
            assert error in answer["description"]
    assert server.bot_messages(ALICE.id) == []


async def test_html_input_is_converted(bot: Bot) -> None:
    html = (
        "<h2>Plan</h2><p>Do <b>this</b> and <tg-math>x^2</tg-math></p>"
        "<ol start='3'><li>three</li><li>four</li></ol>"
        "<table><tr><th>a</th><th align='center'>b</th></tr><tr><td>1</td><td>2</td></tr></table>"
    )
    sent = await bot.send_rich_message(chat_id=ALICE.id, rich_message=InputRichMessage(html=html))
    assert sent.rich_message is not None
    heading, _, numbered, table = sent.rich_message.blocks
    assert isinstance(heading, RichBlockSectionHeading)
    assert heading.size == 2
    assert isinstance(numbered, RichBlockList)
    assert [item.label for item in numbered.items] == ["3.", "4."]
    assert isinstance(table, RichBlockTable)
    assert [cell.align for cell in table.cells[0]] == ["left", "center"]


async def test_thinking_only_in_drafts(server: FakeTelegramServer, bot: Bot) -> None:
    thinking = md("<tg-thinking>Reading the table...</tg-thinking>\n\nSo far: 3 rows")
    with pytest.raises(TelegramBadRequest, match="THINKING"):
        await bot.send_rich_message(chat_id=ALICE.id, rich_message=thinking)
    block = InputRichMessage.model_validate({"blocks": [{"type": "thinking", "text": "hm"}]})
    with pytest.raises(TelegramBadRequest, match="THINKING"):
        await bot.send_rich_message(chat_id=ALICE.id, rich_message=block)

    assert await bot.send_rich_message_draft(chat_id=ALICE.id, draft_id=5, rich_message=thinking)
    assert await bot.send_rich_message_draft(chat_id=ALICE.id, draft_id=5, rich_message=block)
    [draft] = server.drafts(ALICE.id)
    assert draft.rich == {"blocks": [{"type": "thinking", "text": "hm"}]}
    assert server.bot_messages(ALICE.id) == []


async def test_rich_drafts_are_recorded_with_their_flags(
    server: FakeTelegramServer, bot: Bot
) -> None:
    first = md("## Draft\n\n- one")
    assert await bot.send_rich_message_draft(chat_id=ALICE.id, draft_id=9, rich_message=first)
    assert await bot.send_rich_message_draft(
        chat_id=ALICE.id,
        draft_id=9,
        rich_message=md("## Draft\n\n- one\n- two"),
        can_stop=True,
        keep_on_stop=True,
    )

    [draft] = server.drafts(ALICE.id)
    assert (draft.draft_id, draft.updates, draft.can_stop, draft.keep_on_stop) == (9, 2, True, True)
    assert draft.rich == {"markdown": "## Draft\n\n- one\n- two"}
    assert draft.text == "Draft\n• one\n• two"
    assert [d.can_stop for d in server.draft_history(ALICE.id)] == [False, True]
    with pytest.raises(TelegramBadRequest, match="TEXTDRAFT_PEER_INVALID"):
        await bot.send_rich_message_draft(chat_id=TEAM.id, draft_id=9, rich_message=first)
    with pytest.raises(TelegramBadRequest, match="draft_id must be non-zero"):
        await bot.send_rich_message_draft(chat_id=ALICE.id, draft_id=0, rich_message=first)
    upload = InputMediaPhoto(media=BufferedInputFile(png(10, 10), filename="a.png"))
    with pytest.raises(TelegramBadRequest, match="previously uploaded"):
        await bot.send_rich_message_draft(
            chat_id=ALICE.id,
            draft_id=9,
            rich_message=InputRichMessage(
                markdown="![](tg://photo?id=p)", media=[InputRichMessageMedia(id="p", media=upload)]
            ),
        )


async def test_edit_text_into_rich_and_back(server: FakeTelegramServer, bot: Bot) -> None:
    plain = await bot.send_message(chat_id=ALICE.id, text="Working on it...")

    rich = await bot.edit_message_text(
        chat_id=ALICE.id, message_id=plain.message_id, rich_message=md(ANSWER), parse_mode=None
    )

    assert isinstance(rich, Message)
    assert rich.text is None
    assert rich.rich_message is not None
    assert any(isinstance(b, RichBlockTable) for b in rich.rich_message.blocks)
    [stored] = server.bot_messages(ALICE.id)
    assert "text" not in stored
    assert stored["_rich_markdown"] == ANSWER
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            chat_id=ALICE.id, message_id=plain.message_id, rich_message=md(ANSWER)
        )
    back = await bot.edit_message_text(chat_id=ALICE.id, message_id=plain.message_id, text="v2")
    assert isinstance(back, Message)
    assert (back.text, back.rich_message) == ("v2", None)
    assert "_rich_markdown" not in server.bot_messages(ALICE.id)[0]


async def test_user_reply_to_rich_message_quotes_it_without_fake_keys(
    server: FakeTelegramServer, bot: Bot
) -> None:
    sent = await bot.send_rich_message(chat_id=ALICE.id, rich_message=md("# Hi"))
    update = server.send_text(ALICE, "why?", reply_to_message_id=sent.message_id)
    quoted = update["message"]["reply_to_message"]
    assert quoted["rich_message"] == {"blocks": [{"type": "heading", "size": 1, "text": "Hi"}]}
    assert not [key for key in quoted if key.startswith("_")]


async def test_old_server_without_rich_messages(server: FakeTelegramServer, bot: Bot) -> None:
    plain = await bot.send_message(chat_id=ALICE.id, text="hello")
    server.rich_messages = False

    with pytest.raises(TelegramNotFound, match="method not found"):
        await bot.send_rich_message(chat_id=ALICE.id, rich_message=md("# Hi"))
    with pytest.raises(TelegramNotFound, match="method not found"):
        await bot.send_rich_message_draft(chat_id=ALICE.id, draft_id=1, rich_message=md("x"))
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.edit_message_text(
            chat_id=ALICE.id, message_id=plain.message_id, rich_message=md("# Hi")
        )

    server.reset()  # back to the constructor's setting
    server.add_chat(ALICE)
    assert server.rich_messages is True
    assert await bot.send_rich_message(chat_id=ALICE.id, rich_message=md("# Hi"))
    default = FakeTelegramServer()
    default.reset()
    assert default.rich_messages is False  # off unless asked for
