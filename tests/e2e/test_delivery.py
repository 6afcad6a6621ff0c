"""Sending through a flaky Bot API: a 5xx is retried and the answer still arrives; an answer
lost on the way back (the message did arrive) is not sent twice nor followed by an apology,
and the conversation remembers it."""

from __future__ import annotations

import logging


async def test_a_single_502_does_not_cost_the_answer(start_bot, telegram, alice):
    await start_bot("polling")
    telegram.fail_next("sendMessage", status=502, description="Bad Gateway", chat_id=alice.id)
    telegram.send_text(alice, "hello")
    [answer] = await telegram.wait_for_bot_messages(alice.id, 1)
    assert answer["text"] == "You said: hello"
    assert [c.status for c in telegram.calls_of("sendMessage")] == [502, 200]


async def test_a_lost_answer_is_neither_repeated_nor_apologised_for(
    start_bot, telegram, gemini, alice, caplog
):
    caplog.set_level(logging.WARNING, logger="telegemini")
    await start_bot("polling")
    telegram.lose_next_response("sendMessage", chat_id=alice.id)
    telegram.send_text(alice, "first")
    await telegram.wait_until(
        lambda: any("may not have arrived" in r.getMessage() for r in caplog.records),
        what="the bot giving up on the lost answer",
    )
    assert [m["text"] for m in telegram.bot_messages(alice.id)] == ["You said: first"]

    telegram.send_text(alice, "second")
    messages = await telegram.wait_for_bot_messages(alice.id, 2)
    assert len(messages) == 2  # no duplicate, no "something went wrong"
    assert "Earlier you said: first" in messages[1]["text"]  # remembered
    assert len(gemini.interaction_requests()) == 2


async def test_an_answer_telegram_refused_is_not_remembered(start_bot, telegram, gemini, alice):
    await start_bot("polling")
    telegram.fail_next(
        "sendMessage", status=400, description="Bad Request: PEER_ID_INVALID", chat_id=alice.id
    )
    telegram.send_text(alice, "first")
    [apology] = await telegram.wait_for_bot_messages(alice.id, 1)
    assert apology["text"].startswith("Sorry, something went wrong on my side.")

    telegram.send_text(alice, "second")
    messages = await telegram.wait_for_bot_messages(alice.id, 2)
    assert messages[1]["text"] == "You said: second"  # "first" never reached the user's memory
    assert "previous_interaction_id" not in gemini.interaction_requests()[1]
