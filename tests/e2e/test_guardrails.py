"""Operator controls end to end: access, bans, quotas, moderation, captcha, stats, broadcast,
alerts, through the real aiogram and google-genai SDK."""

from __future__ import annotations

import io
import logging

from PIL import Image

from telegemini.core.captcha import CHOICES
from telegemini.sandbox.fake_telegram import FakeChat, FakeUser

ADMIN = FakeUser(id=4242, first_name="Root", username="root", language_code="en")


def texts(telegram, chat_id: int) -> list[str]:
    return [m.get("text", "") for m in telegram.bot_messages(chat_id)]


async def test_outsiders_get_one_note_then_silence(start_bot, telegram, gemini, alice, bob):
    await start_bot("polling", allowed_user_ids=[alice.id])
    telegram.send_text(bob, "let me in")
    telegram.send_text(bob, "please")
    telegram.send_text(alice, "hello")
    await telegram.wait_for_bot_messages(alice.id, 1)
    await telegram.wait_for_bot_messages(bob.id, 1)
    note = "Sorry, this bot is private. If you should have access, send the operator your user id"
    assert texts(telegram, bob.id) == [f"{note}: {bob.id}"]
    assert len(gemini.interaction_requests()) == 1  # only Alice's message reached the model


async def test_admin_bans_by_reply_in_a_group(start_bot, telegram, gemini, bob):
    await start_bot("polling", admin_user_ids=[ADMIN.id])
    group = FakeChat(id=-100321, type="supergroup", title="Team")
    handle = f"@{telegram.bot_username}"
    spam = telegram.send_text(bob, f"{handle} spam spam", chat=group)
    await telegram.wait_for_bot_messages(group.id, 1)
    telegram.send_text(ADMIN, "/ban", chat=group, reply_to_message_id=spam["message"]["message_id"])
    await telegram.wait_for_bot_messages(group.id, 2)
    assert texts(telegram, group.id)[1] == "@bob is banned."
    telegram.send_text(bob, f"{handle} more spam", chat=group)
    telegram.send_text(bob, f"{handle} and more", chat=group)
    await telegram.wait_for_bot_messages(group.id, 3)
    telegram.send_text(ADMIN, f"{handle} ping", chat=group)
    messages = await telegram.wait_for_bot_messages(group.id, 4)
    assert messages[2]["text"] == "You can no longer use this bot."
    assert messages[3]["text"].startswith("You said: ping")  # the group's shared conversation
    assert len(gemini.interaction_requests()) == 2


async def test_non_admins_cannot_use_admin_commands_or_buttons(start_bot, telegram, bob):
    await start_bot("polling", admin_user_ids=[ADMIN.id])
    telegram.send_text(bob, "/tier 1 unlimited")
    [refusal] = await telegram.wait_for_bot_messages(bob.id, 1)
    assert refusal["text"] == "This command is for the bot's admins."
    telegram.inject_update(
        {
            "callback_query": {
                "id": "forged-admin",
                "from": {"id": bob.id, "is_bot": False, "first_name": "Bob"},
                "chat_instance": "x",
                "data": "bc:go:forged",
                "message": refusal,
            }
        }
    )
    [answer] = await telegram.wait_for_calls("answerCallbackQuery")
    assert answer.params["text"] == "This command is for the bot's admins."


async def test_quota_exhaustion_and_refund_of_failures(start_bot, telegram, gemini, alice):
    await start_bot("polling", quotas={"free": {"messages": 1}}, gemini_retry_attempts=1)
    telegram.send_text(alice, "[[fail:500]] this fails")
    telegram.send_text(alice, "this works")  # the failed one was given back
    telegram.send_text(alice, "over the limit")
    messages = await telegram.wait_for_bot_messages(alice.id, 3)
    assert messages[0]["text"].startswith("Gemini is not answering right now")
    assert messages[1]["text"] == "You said: this works"
    assert messages[2]["text"] == (
        "You've used all 1 of today's messages. The limit resets at 00:00 UTC."
    )
    telegram.send_text(alice, "/usage")
    usage = (await telegram.wait_for_bot_messages(alice.id, 4))[3]["text"]
    assert "Messages: ▓▓▓▓▓▓▓▓▓▓ 0 of 1 left" in usage


async def test_blocked_prompts_never_reach_gemini(start_bot, telegram, gemini, alice, tmp_path):
    blocklist = tmp_path / "blocklist.txt"
    blocklist.write_text("# operator rules\nforbidden thing\nre:secr[e3]t\n", encoding="utf-8")
    await start_bot("polling", moderation_blocklist=blocklist)
    telegram.send_text(alice, "tell me the ＦＯＲＢＩＤＤＥＮ   THING")
    telegram.send_text(alice, "/image a secr3t map")
    messages = await telegram.wait_for_bot_messages(alice.id, 2)
    assert [m["text"] for m in messages] == ["Sorry, I can't help with that request."] * 2
    assert gemini.interaction_requests() == []  # (only the start-up's look at the models)
    assert all(r.method == "GET" and "/models/" in r.path for r in gemini.requests)


async def test_captcha_pass_answers_the_waiting_message(start_bot, telegram, gemini, alice):
    await start_bot("polling", captcha_enabled=True)
    telegram.send_text(alice, "what is 2+2?")
    [question] = await telegram.wait_for_bot_messages(alice.id, 1)
    assert gemini.interaction_requests() == []
    word = question["text"].split("tap the ", 1)[1].split(" (", 1)[0]
    emoji = next(e for e, name in CHOICES if name == word)
    telegram.press_button(alice, question, f"cap:{emoji}")
    await telegram.wait_until(
        lambda: "You said: what is 2+2?" in texts(telegram, alice.id), timeout=5, what="the answer"
    )
    assert texts(telegram, alice.id)[0] == "Thanks, you're verified! ✅"


async def test_stats_sends_a_real_png_chart(start_bot, telegram, alice):
    await start_bot("polling", admin_user_ids=[ADMIN.id])
    telegram.send_text(alice, "hello")
    await telegram.wait_for_bot_messages(alice.id, 1)
    telegram.send_text(ADMIN, "/stats")
    [photo] = await telegram.wait_for_calls("sendPhoto", 1, timeout=20)
    image = Image.open(io.BytesIO(photo.upload("photo").data))
    assert image.format == "PNG"
    assert image.width > 400
    assert "Active users: 2 today" in photo.params["caption"]


async def test_broadcast_skips_users_who_blocked_the_bot(start_bot, telegram, alice, bob):
    await start_bot("polling", admin_user_ids=[ADMIN.id])
    for user in (alice, bob):
        telegram.send_text(user, "hi")
        await telegram.wait_for_bot_messages(user.id, 1)
    telegram.set_blocked(bob)
    telegram.send_text(ADMIN, "/broadcast Scheduled maintenance at 22:00.")
    [confirm] = await telegram.wait_for_bot_messages(ADMIN.id, 1)
    assert confirm["text"].startswith("Send this message to 3 users?")
    go = confirm["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    telegram.press_button(ADMIN, confirm, go)
    await telegram.wait_until(
        lambda: any(t.startswith("Broadcast finished") for t in texts(telegram, ADMIN.id)),
        timeout=10,
        what="the broadcast report",
    )
    assert texts(telegram, alice.id)[-1] == "Scheduled maintenance at 22:00."
    report = texts(telegram, ADMIN.id)[-1]
    # Alice and the admin; not Bob, who blocked the bot
    assert report == "Broadcast finished: 2 delivered, 1 blocked the bot, 0 failed."


async def test_unexpected_errors_alert_the_admin_with_the_users_reference(
    start_bot, telegram, alice
):
    await start_bot("polling", admin_user_ids=[ADMIN.id])
    telegram.send_text(ADMIN, "hi")
    await telegram.wait_for_bot_messages(ADMIN.id, 1)
    telegram.fail_next(
        "sendMessage", status=400, description="Bad Request: something odd", chat_id=alice.id
    )
    telegram.send_text(alice, "hello")
    [apology] = await telegram.wait_for_bot_messages(alice.id, 1)
    ref = apology["text"].rsplit("ref ", 1)[1].rstrip(")")
    alert = (await telegram.wait_for_bot_messages(ADMIN.id, 2))[1]
    assert "BadRequest" in alert["text"]
    assert ref in alert["text"]
    assert any(e["type"] == "expandable_blockquote" for e in alert.get("entities", []))


async def test_going_too_fast_is_told_how_long_to_wait(start_bot, telegram, gemini, alice):
    await start_bot("polling", rates={"messages": {"per_minute": 6, "burst": 2}})
    for n in range(3):
        telegram.send_text(alice, f"message {n}")
    messages = await telegram.wait_for_bot_messages(alice.id, 3)
    assert messages[2]["text"] == "You're going a bit fast — please wait 10 s and try again."
    assert len(gemini.interaction_requests()) == 2


async def test_telegram_flood_waits_are_reported_to_the_admin(start_bot, telegram, alice):
    await start_bot("polling", admin_user_ids=[ADMIN.id])
    telegram.send_text(ADMIN, "hi")
    await telegram.wait_for_bot_messages(ADMIN.id, 1)
    telegram.fail_next("sendMessage", status=429, retry_after=1, chat_id=alice.id)
    telegram.send_text(alice, "hello")
    await telegram.wait_for_bot_messages(alice.id, 1)  # delivered after the wait
    alert = (await telegram.wait_for_bot_messages(ADMIN.id, 2))[1]
    assert alert["text"].startswith("⚠️ Telegram flood control: sendMessage must wait 1 s")


async def test_admins_see_the_admin_commands_in_their_own_menu(start_bot, telegram):
    await start_bot("polling", admin_user_ids=[ADMIN.id])
    calls = telegram.calls_of("setMyCommands")
    everyone = [c for c in calls if c.params.get("scope", {}).get("type") == "default"]
    admins = [c for c in calls if c.params.get("scope", {}).get("chat_id") == ADMIN.id]
    assert sorted(c.params.get("language_code") or "" for c in everyone) == [
        "",
        "es",
        "ru",
        "zh",
    ]
    assert len(admins) == len(everyone)  # the admin's own menu, in every language
    for call in everyone:
        assert "ban" not in [c["command"] for c in call.params["commands"]]
    for call in admins:
        assert {"ban", "stats", "broadcast", "start"} <= {
            c["command"] for c in call.params["commands"]
        }
    [russian] = [c for c in admins if c.params.get("language_code") == "ru"]
    assert (
        russian.params["commands"][0]["description"]
        != everyone[0].params["commands"][0]["description"]
    )


async def test_a_user_who_blocked_the_bot_is_noted_without_alarm(
    start_bot, telegram, gemini, alice, caplog
):
    caplog.set_level(logging.INFO, logger="telegemini")
    bot = await start_bot("polling", admin_user_ids=[ADMIN.id])
    telegram.send_text(ADMIN, "hi")  # the admin has a chat with the bot: alerts would show
    await telegram.wait_for_bot_messages(ADMIN.id, 1)
    telegram.fail_next(
        "sendMessage", status=403, description="Forbidden: bot was blocked by the user",
        chat_id=alice.id,
    )  # fmt: skip
    telegram.send_text(alice, "are you there?")
    await telegram.wait_until(
        lambda: any(c.status == 403 for c in telegram.calls_of("sendMessage")),
        what="the refused answer",
    )
    await telegram.wait_until(
        lambda: any("cannot be written to" in r.getMessage() for r in caplog.records),
        what="the log line",
    )
    assert (await bot.store.load_user(alice.id)).blocked_bot
    assert [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")] == []
    assert len(telegram.bot_messages(ADMIN.id)) == 1  # no alert
    assert len(telegram.calls_of("sendMessage")) == 2  # no "something went wrong" after it

    telegram.send_text(alice, "back again")  # writing again means they unblocked the bot
    [answer] = await telegram.wait_for_bot_messages(alice.id, 1)
    assert answer["text"].startswith("You said: back again")
    assert not (await bot.store.load_user(alice.id)).blocked_bot


async def test_a_broadcast_failing_for_a_while_is_counted_failed_not_blocked(
    start_bot, telegram, alice
):
    bot = await start_bot("polling", admin_user_ids=[ADMIN.id])
    for user in (alice, ADMIN):
        telegram.send_text(user, "hi")
        await telegram.wait_for_bot_messages(user.id, 1)
    telegram.send_text(ADMIN, "/broadcast Back online.")
    confirm = (await telegram.wait_for_bot_messages(ADMIN.id, 2))[1]
    telegram.fail_next(
        "sendMessage", status=502, description="Bad Gateway", chat_id=alice.id, times=9
    )
    telegram.press_button(
        ADMIN, confirm, confirm["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    )
    await telegram.wait_until(
        lambda: any(t.startswith("Broadcast finished") for t in texts(telegram, ADMIN.id)),
        timeout=15,
        what="the broadcast report",
    )
    assert texts(telegram, ADMIN.id)[-1] == (
        "Broadcast finished: 1 delivered, 0 blocked the bot, 1 failed."
    )
    assert [c.status for c in telegram.calls_of("sendMessage") if c.chat_id == alice.id][-4:] == [
        502
    ] * 4
    assert not (await bot.store.load_user(alice.id)).blocked_bot  # still on the list


async def test_a_broadcast_confirmation_survives_a_restart(start_bot, telegram, alice, tmp_path):
    database = f"sqlite+aiosqlite:///{tmp_path / 'restart.db'}"
    first = await start_bot("polling", database_url=database, admin_user_ids=[ADMIN.id])
    telegram.send_text(alice, "hi")
    await telegram.wait_for_bot_messages(alice.id, 1)
    telegram.send_text(ADMIN, "/broadcast New version is live.")
    [confirm] = await telegram.wait_for_bot_messages(ADMIN.id, 1)
    await first.stop()

    await start_bot("polling", database_url=database, admin_user_ids=[ADMIN.id])
    go = confirm["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    telegram.press_button(ADMIN, confirm, go)
    await telegram.wait_until(
        lambda: any(t.startswith("Broadcast finished") for t in texts(telegram, ADMIN.id)),
        timeout=10,
        what="the broadcast report",
    )
    assert texts(telegram, alice.id)[-1] == "New version is live."
    telegram.inject_update(  # a second, late tap on the old message sends nothing more
        {
            "callback_query": {
                "id": "late-tap",
                "from": {"id": ADMIN.id, "is_bot": False, "first_name": "Root"},
                "chat_instance": "x",
                "data": go,
                "message": confirm,
            }
        }
    )
    await telegram.wait_until(
        lambda: len(telegram.calls_of("answerCallbackQuery")) == 2, what="the second answer"
    )
    assert texts(telegram, alice.id).count("New version is live.") == 1
