"""Answers as rich messages through a Bot API server that has them (10.1+): one rich message
holding the table and the formula, long answers in pieces, formatted text where they are
refused, and the Stop button under a streamed rich draft."""

from __future__ import annotations

import time

import pytest

from telegemini.core.models import ChatKey
from telegemini.sandbox.fake_gemini import ScriptedReply

TABLE_AND_FORMULA = (
    "## Results\n\n| month | EUR |\n|:--|--:|\n| Jul | 1 200 |\n| Aug | 1 350 |\n\n"
    "The growth is $g = 12.5\\%$:\n\n$$E = mc^2$$\n"
)


@pytest.fixture
def rich(telegram):
    telegram.rich_messages = True  # reset() turns it off again
    return telegram


async def test_a_table_and_a_formula_arrive_as_one_rich_message(start_bot, rich, gemini, alice):
    await start_bot("polling")
    gemini.script.enqueue(ScriptedReply(text=TABLE_AND_FORMULA))
    rich.send_text(alice, "how did we do?")
    [message] = await rich.wait_for_bot_messages(alice.id, 1)
    [call] = rich.calls_of("sendRichMessage")
    markdown = call.params["rich_message"]["markdown"]
    assert "| Jul | 1 200 |" in markdown
    assert "$$E = mc^2$$" in markdown
    kinds = [block["type"] for block in message["rich_message"]["blocks"]]
    assert "table" in kinds
    assert "mathematical_expression" in kinds
    assert rich.calls_of("sendMessage") == []


async def test_an_answer_of_40000_characters_arrives_whole_in_two_rich_messages(
    start_bot, rich, gemini, alice
):
    await start_bot("polling")
    paragraph = ("word " * 200).strip()
    answer = "\n\n".join([paragraph] * 40)  # ~40,000 characters
    gemini.script.enqueue(ScriptedReply(text=answer))
    rich.send_text(alice, "tell me everything")
    messages = await rich.wait_for_bot_messages(alice.id, 2)
    sent = [c.params["rich_message"]["markdown"] for c in rich.calls_of("sendRichMessage")]
    assert len(sent) == 2
    assert all(c.ok for c in rich.calls_of("sendRichMessage"))
    assert " ".join("".join(sent).split()) == " ".join(answer.split())  # every word, once
    assert len(messages) == 2


async def test_refused_rich_messages_fall_back_to_formatted_text(
    start_bot, telegram, gemini, alice
):
    await start_bot("polling")  # the fake answers like a server older than 10.1
    gemini.script.enqueue(ScriptedReply(text=TABLE_AND_FORMULA))
    gemini.script.enqueue(ScriptedReply(text="**second** answer"))
    telegram.send_text(alice, "how did we do?")
    [first] = await telegram.wait_for_bot_messages(alice.id, 1)
    assert "| Jul | 1 200 |" in first["text"] or "Jul" in first["text"]
    telegram.send_text(alice, "and then?")
    second = (await telegram.wait_for_bot_messages(alice.id, 2))[1]
    assert second["text"] == "second answer"
    assert second["entities"][0]["type"] == "bold"
    # The server's lack was noticed once, not paid for again on every answer.
    assert len(telegram.calls_of("sendRichMessage")) == 1


async def test_the_stop_button_under_a_rich_draft_stops_the_answer(start_bot, rich, gemini, alice):
    await start_bot("polling")
    gemini.chunk_delay = 1.0
    rich.send_text(alice, "[[long:4000]] a long story please")
    await rich.wait_until(
        lambda: any(d.can_stop for d in rich.draft_history(alice.id)),
        timeout=8,
        what="a draft with a Stop button",
    )
    pressed_at = time.monotonic()
    rich.press_stop(alice)
    [message] = await rich.wait_for_bot_messages(alice.id, 1, timeout=3)
    assert message["_rich_text"].rstrip().endswith("(stopped)")
    assert len(message["_rich_text"]) < 4000
    # The model's stream was closed by the bot, within a second: nothing more generated.
    [stream] = [r for r in gemini.requests if "stream_end" in r.meta]
    await rich.wait_until(lambda: "stream_ended_at" in stream.meta, timeout=3, what="stream end")
    assert stream.meta["stream_end"] == "cut"
    assert stream.meta["stream_ended_at"] - pressed_at < 1.0
    # The partial answer is the conversation's memory: the next question chains on it.
    rich.send_text(alice, "go on")
    await rich.wait_for_bot_messages(alice.id, 2)
    follow_up = gemini.interaction_requests()[-1]
    assert follow_up["previous_interaction_id"] == stream.meta["interaction_id"]


async def test_thinking_when_asked_for_shows_collapsed_and_is_never_kept_or_spoken(
    start_bot, rich, gemini, alice
):
    bot = await start_bot("polling", voice_enabled=True)
    rich.send_text(alice, "/settings")
    [screen] = await rich.wait_for_bot_messages(alice.id, 1)
    rich.press_button(alice, screen, "set:th:on")
    await rich.wait_for_calls("answerCallbackQuery")
    gemini.chunk_delay = 0.3  # time for drafts
    rich.send_text(alice, "why is the sky blue?")
    await rich.wait_until(
        lambda: rich.calls_of("sendVoice"),
        timeout=10,
        what="the voice reply",
    )
    [answer] = rich.calls_of("sendRichMessage")
    markdown = answer.params["rich_message"]["markdown"]
    assert markdown.startswith("<details><summary>Thinking</summary>")
    assert "The user asks: why is the sky blue?" in markdown
    assert "You said: why is the sky blue?" in markdown
    drafts = [c.params["rich_message"]["markdown"] for c in rich.calls_of("sendRichMessageDraft")]
    assert any(d.startswith("<tg-thinking>") for d in drafts)
    [chat_request, tts_request] = gemini.interaction_requests()[-2:]
    assert chat_request["generation_config"]["thinking_summaries"] == "auto"
    assert "The user asks" not in str(tts_request["input"])  # never spoken
    conversation = await bot.store.load_conversation(ChatKey(alice.id))
    assert "The user asks" not in conversation.transcript[-1].text  # never stored
