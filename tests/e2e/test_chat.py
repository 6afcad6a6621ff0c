"""Chat with memory, end to end, in polling and webhook mode."""

from __future__ import annotations

import asyncio

import pytest

from telegemini.sandbox.fake_gemini import Fault
from telegemini.sandbox.fake_telegram import FakeChat, FakeUser


async def reply_texts(telegram, chat_id: int, count: int) -> list[str]:
    messages = await telegram.wait_for_bot_messages(chat_id, count)
    return [m.get("text", "") for m in messages]


async def test_conversation_remembers_earlier_turns(bot, telegram, gemini, alice):
    telegram.send_text(alice, "my name is Alice")
    await telegram.wait_for_bot_messages(alice.id, 1)
    telegram.send_text(alice, "what is my name?")
    texts = await reply_texts(telegram, alice.id, 2)

    assert texts[1].startswith("You said: what is my name?")
    assert "Earlier you said: my name is Alice" in texts[1]
    first, second = gemini.interaction_requests()
    assert "previous_interaction_id" not in first
    assert second["previous_interaction_id"]
    # previous_interaction_id carries only history: the instruction is sent every turn.
    assert first["system_instruction"] == second["system_instruction"]


async def test_start_and_help_use_the_users_language(bot, telegram):
    user = FakeUser(id=1100, first_name="Li", language_code="zh-hant")
    telegram.send_text(user, "/start")
    [welcome] = await reply_texts(telegram, user.id, 1)
    assert welcome.startswith("你好，Li")
    assert "驅動" in welcome  # Traditional characters


async def test_reset_starts_a_fresh_conversation(bot, telegram, gemini, alice):
    telegram.send_text(alice, "remember the number 7")
    await telegram.wait_for_bot_messages(alice.id, 1)
    telegram.send_text(alice, "/reset")
    await telegram.wait_for_bot_messages(alice.id, 2)
    telegram.send_text(alice, "what number?")
    texts = await reply_texts(telegram, alice.id, 3)

    assert texts[1] == "Fresh start! I've forgotten our previous conversation."
    assert texts[2] == "You said: what number?"
    assert "previous_interaction_id" not in gemini.interaction_requests()[-1]


async def test_alias_new_also_resets(bot, telegram, alice):
    telegram.send_text(alice, "/new")
    [text] = await reply_texts(telegram, alice.id, 1)
    assert text.startswith("Fresh start")


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_memory_survives_a_restart(start_bot, telegram, alice, tmp_path, mode):
    database = f"sqlite+aiosqlite:///{tmp_path / 'persist.db'}"
    first = await start_bot(mode, database_url=database)
    telegram.send_text(alice, "the password is swordfish")
    await telegram.wait_for_bot_messages(alice.id, 1)
    await first.stop()

    await start_bot(mode, database_url=database)
    telegram.send_text(alice, "what was the password?")
    texts = await reply_texts(telegram, alice.id, 2)
    assert "Earlier you said: the password is swordfish" in texts[1]


async def test_forgotten_interaction_is_recovered_from_the_transcript(bot, telegram, gemini, alice):
    telegram.send_text(alice, "I like green")
    await telegram.wait_for_bot_messages(alice.id, 1)
    gemini.forget_interactions()  # the server no longer knows our head id: 404
    telegram.send_text(alice, "which colour?")
    texts = await reply_texts(telegram, alice.id, 2)

    assert "Earlier you said: I like green" in texts[1]
    retried = gemini.interaction_requests()[-1]
    assert "previous_interaction_id" not in retried


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_one_chat_stays_in_order_while_others_run_concurrently(
    start_bot, telegram, gemini, alice, bob, mode
):
    await start_bot(mode)
    gemini.latency = 0.3
    for n in range(3):
        telegram.send_text(alice, f"a{n}")
    telegram.send_text(bob, "b0")

    texts = await reply_texts(telegram, alice.id, 3)
    assert [t.splitlines()[0] for t in texts] == ["You said: a0", "You said: a1", "You said: a2"]
    assert "Earlier you said: a0 | a1" in texts[2]  # the chain never forked
    bob_reply = telegram.bot_messages(bob.id)[0]
    alice_last = telegram.bot_messages(alice.id)[2]
    assert bob_reply["date"] <= alice_last["date"]
    assert _sent_index(telegram, bob.id) < _sent_index(telegram, alice.id, nth=1)


def _sent_index(telegram, chat_id: int, nth: int = 0) -> int:
    sends = [
        i
        for i, call in enumerate(telegram.calls)
        if call.method == "sendMessage" and str(call.params.get("chat_id")) == str(chat_id)
    ]
    return sends[nth]


async def test_answers_stream_as_drafts_then_land_as_one_message(bot, telegram, gemini, alice):
    gemini.chunk_delay = 0.06  # a model that takes its time, as real ones do
    telegram.send_text(alice, "[[long:600]] tell me a story")
    await telegram.wait_for_bot_messages(alice.id, 1)
    drafts = telegram.calls_of("sendMessageDraft")
    actions = telegram.calls_of("sendChatAction")
    assert drafts, "the answer should stream in a private chat"
    assert actions[0].params["action"] == "typing"
    assert actions[0].at <= drafts[0].at
    final = telegram.calls_of("sendMessage")[-1]
    assert drafts[-1].at < final.at
    assert len(drafts) >= 1


async def test_a_quick_answer_lands_without_a_draft(bot, telegram, alice):
    telegram.send_text(alice, "short")
    await telegram.wait_for_bot_messages(alice.id, 1)
    assert telegram.calls_of("sendMessageDraft") == []


async def test_long_replies_are_split_at_boundaries(bot, telegram, alice):
    telegram.send_text(alice, "[[long:9000]]")
    messages = await telegram.wait_for_bot_messages(alice.id, 3)
    texts = [m["text"] for m in messages]
    assert all(len(t) <= 4096 for t in texts)
    assert all(t.endswith("is here.") for t in texts[:-1])  # cut between sentences
    assert texts[1].startswith("Sentence")
    assert sum(len(t) for t in texts) >= 8990  # nothing lost but the white space at the cuts


async def test_markdown_is_rendered_as_entities(bot, telegram, alice):
    telegram.send_text(alice, "[[markdown]]")
    [message] = await telegram.wait_for_bot_messages(alice.id, 1)
    types = {e["type"] for e in message.get("entities", [])}
    assert {"bold", "italic", "code", "pre"} <= types
    assert "**" not in message["text"]


async def test_refused_formatting_falls_back_to_plain_text(bot, telegram, alice):
    refusal = 'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 3'
    telegram.fail_next("sendMessage", status=400, description=refusal)
    telegram.send_text(alice, "[[markdown]]")
    [message] = await telegram.wait_for_bot_messages(alice.id, 1)
    failed, delivered = telegram.calls_of("sendMessage")[-2:]
    assert failed.status == 400
    assert failed.params.get("entities")
    assert delivered.status == 200
    assert "entities" not in delivered.params
    assert delivered.params["text"] == failed.params["text"]  # same words, no styling
    assert message["text"] == failed.params["text"].strip()


async def test_gemini_429_is_retried_quietly(bot, telegram, gemini, alice):
    gemini.faults.add(Fault(status=429, times=1, retry_after=0.01, match="interactions"))
    telegram.send_text(alice, "hello")
    [text] = await reply_texts(telegram, alice.id, 1)
    assert text == "You said: hello"


async def test_gemini_busy_for_long_tells_the_user_when_to_retry(bot, telegram, alice):
    telegram.send_text(alice, "[[fail:429:30]] hello")
    [text] = await reply_texts(telegram, alice.id, 1)
    assert text == "Gemini is busy right now. Please try again in ~30 s."


async def test_gemini_5xx_storm_gives_a_clear_message(bot, telegram, gemini, alice):
    gemini.faults.add(Fault(status=503, times=10, match="interactions"))
    telegram.send_text(alice, "hello")
    [text] = await reply_texts(telegram, alice.id, 1)
    assert text == "Gemini is not answering right now. Please try again in a minute."
    # One budget for the whole request: the fallback without web search adds no attempts.
    assert len(gemini.interaction_requests()) == 3


async def test_a_hanging_model_is_given_up_on_when_the_wait_is_over(
    start_bot, telegram, gemini, alice
):
    await start_bot("polling", gemini_timeout=1.5)
    gemini.latency = 30.0  # the model never answers in time
    started = asyncio.get_running_loop().time()
    telegram.send_text(alice, "hello")
    [text] = await reply_texts(telegram, alice.id, 1)
    waited = asyncio.get_running_loop().time() - started
    assert text == "Gemini took too long to answer. Please try again."
    assert waited < 4.0  # the 1.5 s the operator allows, not three timeouts of it
    assert len(gemini.interaction_requests()) == 1


async def test_gemini_5xx_once_is_retried(bot, telegram, gemini, alice):
    gemini.faults.add(Fault(status=500, times=1, match="interactions"))
    telegram.send_text(alice, "hello")
    [text] = await reply_texts(telegram, alice.id, 1)
    assert text == "You said: hello"


async def test_telegram_flood_wait_is_respected_and_nothing_is_lost(bot, telegram, alice):
    telegram.fail_next("sendMessage", status=429, retry_after=1)
    telegram.send_text(alice, "hello")
    [text] = await reply_texts(telegram, alice.id, 1)
    assert text == "You said: hello"
    refused, delivered = telegram.calls_of("sendMessage")[-2:]
    assert refused.status == 429
    assert delivered.at - refused.at >= 1.0


async def test_a_redelivered_update_is_answered_once(bot, telegram, gemini, alice):
    update = telegram.send_text(alice, "only once")
    await telegram.wait_for_bot_messages(alice.id, 1)
    telegram.redeliver(update)
    telegram.send_text(alice, "next")
    texts = await reply_texts(telegram, alice.id, 2)
    assert texts[1].startswith("You said: next")
    assert len(gemini.interaction_requests()) == 2
    assert len(telegram.bot_messages(alice.id)) == 2


async def test_forum_topics_are_separate_conversations(bot, telegram, alice):
    group = FakeChat(id=-100777, type="supergroup", title="Forum", is_forum=True)
    handle = f"@{telegram.bot_username}"
    telegram.send_text(alice, f"{handle} topic one secret", chat=group, message_thread_id=11)
    await telegram.wait_for_bot_messages(group.id, 1)
    telegram.send_text(alice, f"{handle} anything?", chat=group, message_thread_id=22)
    messages = await telegram.wait_for_bot_messages(group.id, 2)
    assert "Earlier" not in messages[1]["text"]
    assert messages[1].get("message_thread_id") == 22


async def test_many_chats_at_once_are_all_answered(bot, telegram, alice, bob):
    users = [FakeUser(id=5000 + n, first_name=f"U{n}") for n in range(20)]
    for user in users:
        telegram.send_text(user, "hi")
    await asyncio.gather(*(telegram.wait_for_bot_messages(u.id, 1) for u in users))


async def test_safety_block_has_its_own_message(bot, telegram, alice):
    telegram.send_text(alice, "[[blocked]] something nasty")
    [text] = await reply_texts(telegram, alice.id, 1)
    assert text == "I can't help with that request: it was blocked by the model's safety rules."


async def test_gemini_timeout_is_explained(start_bot, telegram, alice):
    await start_bot("polling", gemini_timeout=0.3, gemini_retry_attempts=1)
    telegram.send_text(alice, "[[hang:2]] slow question")
    [text] = await reply_texts(telegram, alice.id, 1)
    assert text == "Gemini took too long to answer. Please try again."


async def test_a_model_that_does_not_exist_is_the_operators_to_fix(
    start_bot, telegram, gemini, alice
):
    admin = FakeUser(id=4242, first_name="Root", username="root", language_code="en")
    await start_bot("polling", admin_user_ids=[admin.id])
    telegram.send_text(admin, "hi")
    await telegram.wait_for_bot_messages(admin.id, 1)
    gemini.retired_models.add("gemini-3.5-flash-lite")

    telegram.send_text(alice, "hello?")
    [answer] = await telegram.wait_for_bot_messages(alice.id, 1)
    assert answer["text"].startswith("This bot is misconfigured right now, and its admins")
    alert = (await telegram.wait_for_bot_messages(admin.id, 2))[1]
    assert "CHAT_MODEL=gemini-3.5-flash-lite does not exist" in alert["text"]
    # Not an expired conversation, and nothing retried: one request, no fresh chain after it.
    assert len(gemini.interaction_requests()) == 2  # the admin's "hi", then alice's one try

    telegram.send_text(alice, "and now?")
    await telegram.wait_for_bot_messages(alice.id, 2)
    assert len(telegram.bot_messages(admin.id)) == 2  # one alert, not one per message
