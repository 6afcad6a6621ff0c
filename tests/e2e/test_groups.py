"""In groups the bot answers only when mentioned, replied to, or commanded."""

from __future__ import annotations

import pytest

from telegemini.sandbox.fake_telegram import FakeChat

GROUP = FakeChat(id=-100555, type="supergroup", title="Team")


async def test_group_rules(bot, telegram, alice):
    handle = f"@{telegram.bot_username}"
    telegram.send_text(alice, "just chatting among humans", chat=GROUP)
    telegram.send_text(alice, "/help@some_other_bot", chat=GROUP)
    telegram.send_text(alice, f"{handle} what is 2+2?", chat=GROUP)
    [answer] = await telegram.wait_for_bot_messages(GROUP.id, 1)
    assert answer["text"] == "You said: what is 2+2?"  # the mention is not sent to the model
    assert answer["reply_to_message"]["text"] == f"{handle} what is 2+2?"

    telegram.send_text(alice, "and 3+3?", chat=GROUP, reply_to_message_id=answer["message_id"])
    messages = await telegram.wait_for_bot_messages(GROUP.id, 2)
    assert messages[1]["text"].startswith("You said: and 3+3?")

    telegram.send_text(alice, f"/help@{telegram.bot_username}", chat=GROUP)
    messages = await telegram.wait_for_bot_messages(GROUP.id, 3)
    assert "Here is what I can do" in messages[2]["text"]
    assert len(telegram.bot_messages(GROUP.id)) == 3


async def test_groups_get_no_drafts(bot, telegram, alice):
    telegram.send_text(alice, f"@{telegram.bot_username} [[long:800]]", chat=GROUP)
    await telegram.wait_for_bot_messages(GROUP.id, 1)
    assert telegram.calls_of("sendMessageDraft") == []


@pytest.mark.parametrize("text", ["hello there", "/start"])
async def test_private_chats_need_no_mention(bot, telegram, alice, text):
    telegram.send_text(alice, text)
    assert await telegram.wait_for_bot_messages(alice.id, 1)


async def test_an_over_quota_user_in_a_group_is_told_privately(start_bot, telegram, alice):
    await start_bot("polling", quotas={"free": {"messages": 1}})
    telegram.set_bot_admin(GROUP)  # an admin bot may write to one member alone
    handle = f"@{telegram.bot_username}"
    telegram.send_text(alice, f"{handle} first", chat=GROUP)
    await telegram.wait_for_bot_messages(GROUP.id, 1)
    telegram.send_text(alice, f"{handle} second", chat=GROUP)
    [notice] = await telegram.wait_for_ephemeral_messages(GROUP.id, 1, user_id=alice.id)
    assert notice["text"].startswith("You've used all 1 of today's messages.")
    assert len(telegram.bot_messages(GROUP.id)) == 1  # the group saw only the first answer


async def test_where_private_notices_are_refused_they_are_replies(start_bot, telegram, alice):
    await start_bot("polling", quotas={"free": {"messages": 1}})  # the bot is no admin here
    handle = f"@{telegram.bot_username}"
    telegram.send_text(alice, f"{handle} first", chat=GROUP)
    await telegram.wait_for_bot_messages(GROUP.id, 1)
    telegram.send_text(alice, f"{handle} second", chat=GROUP)
    notice = (await telegram.wait_for_bot_messages(GROUP.id, 2))[1]
    assert notice["text"].startswith("You've used all 1 of today's messages.")
    assert telegram.ephemeral_messages(GROUP.id) == []
