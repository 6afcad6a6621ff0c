"""Stopping an answer while it is written: the model's stream ends at once, what was written
stays in the chat and in the conversation's memory, and no voice note follows."""

from __future__ import annotations

import asyncio


async def test_slash_stop_ends_the_answer_being_written(start_bot, telegram, gemini, alice):
    await start_bot("polling", voice_enabled=True)
    gemini.chunk_delay = 1.0  # a long answer that takes its time (8 pieces, a second apart)
    telegram.send_text(alice, "[[long:4000]] tell me a long story")
    await telegram.wait_until(
        lambda: telegram.calls_of("sendMessageDraft"), timeout=8, what="the answer streaming"
    )
    stopped_at = asyncio.get_running_loop().time()
    telegram.send_text(alice, "/stop")
    [answer] = await telegram.wait_for_bot_messages(alice.id, 1)
    assert asyncio.get_running_loop().time() - stopped_at < 1.5
    assert answer["text"].endswith("(stopped)")
    assert len(answer["text"]) < 4000  # cut short, not the whole story
    assert all(
        c.params.get("can_stop") in ("true", True) for c in telegram.calls_of("sendMessageDraft")
    )

    telegram.send_text(alice, "go on")
    messages = await telegram.wait_for_bot_messages(alice.id, 2)
    assert messages[1]["text"].startswith("You said: go on")
    _first, second = gemini.interaction_requests()[:2]
    assert second["previous_interaction_id"]  # chained on the stopped answer
    assert not any("voice" in m for m in telegram.bot_messages(alice.id))  # none for a stop


async def test_slash_stop_with_nothing_being_written_says_so(start_bot, telegram, alice):
    await start_bot("polling")
    telegram.send_text(alice, "/stop")
    [answer] = await telegram.wait_for_bot_messages(alice.id, 1)
    assert answer["text"] == "Nothing is being written right now."
