from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from telegemini.core.buttons import BroadcastPress, CaptchaPress
from telegemini.core.captcha import CHOICES
from telegemini.core.guards import DEFAULT_QUOTAS, GuardConfig, RateRule, parse_quota_overrides
from telegemini.core.models import Button, ChatRef, ChatType, Tier, UserRef
from telegemini.core.moderation import Blocklist, normalize
from telegemini.errors import ImageNotMade, UpstreamUnavailable
from tests.helpers.world import World

ADMIN = UserRef(1, "Root", "root", "en")
BOB = UserRef(2, "Bob", "bob", "en")


def limited(**quotas: int) -> GuardConfig:
    table = {tier: dict(limits) for tier, limits in DEFAULT_QUOTAS.items()}
    table[Tier.FREE].update(quotas)
    return GuardConfig(admins=frozenset({ADMIN.id}), quotas=table, rates={})


# --- access, bans ---------------------------------------------------------------------------


async def test_outsiders_get_one_polite_explanation_then_silence():
    world = World(guard=GuardConfig(allowed_users=frozenset({99}), rates={}))
    first = await world.send("hello")
    second = await world.send("hello again")
    assert first.texts == [
        "Sorry, this bot is private. If you should have access, send the operator your user id: 7"
    ]
    assert second.texts == []
    assert world.model.history == []


async def test_allowed_chats_and_admins_get_in():
    group = ChatRef(-500, ChatType.SUPERGROUP)
    world = World(
        guard=GuardConfig(allowed_chats=frozenset({-500}), admins=frozenset({1}), rates={})
    )
    assert (await world.send("hi", chat=group)).texts == ["echo"]
    assert (await world.send("hi", user=ADMIN)).texts == ["echo"]


async def test_admin_ban_and_unban_by_reply_and_by_username():
    world = World(guard=GuardConfig(admins=frozenset({1}), rates={}))
    await world.send("hi", user=BOB)
    done = await world.send(command="ban", user=ADMIN, reply_to_user=BOB)
    assert done.texts == ["@bob is banned."]
    assert (await world.send("hi", user=BOB)).texts == ["You can no longer use this bot."]
    assert (await world.send("hi", user=BOB)).texts == []  # one notice, then nothing
    await world.send(command="unban", args="@BOB", user=ADMIN)
    assert (await world.send("hi", user=BOB)).texts == ["echo"]


async def test_admin_commands_are_refused_to_others():
    world = World(guard=GuardConfig(admins=frozenset({1}), rates={}))
    out = await world.send(command="tier", args="2 premium", user=BOB)
    assert out.texts == ["This command is for the bot's admins."]
    assert (await world.store.load_user(2)).tier is Tier.FREE


async def test_forged_admin_buttons_change_nothing():
    world = World(guard=GuardConfig(admins=frozenset({1}), rates={}))
    await world.send("hi", user=BOB)
    await world.send(command="broadcast", args="news!", user=ADMIN)
    out = await world.press(BroadcastPress(send=True, token="anything"), user=BOB)
    assert out.callback_answers == ["This command is for the bot's admins."]
    assert world.spawned == []


# --- tiers and quotas -----------------------------------------------------------------------


async def test_quota_exhaustion_names_the_limit_and_the_reset_time():
    world = World(guard=limited(messages=2))
    await world.send("one")
    await world.send("two")
    out = await world.send("three")
    assert out.texts == ["You've used all 2 of today's messages. The limit resets at 00:00 UTC."]
    assert len(world.model.history) == 2


async def test_quotas_reset_at_midnight_in_the_configured_time_zone():
    config = limited(messages=1)
    config = GuardConfig(quotas=config.quotas, rates={}, timezone=ZoneInfo("Asia/Tokyo"))
    world = World(guard=config, clock=[1_700_000_000.0])  # 07:13 in Tokyo
    await world.send("one")
    assert "resets at 00:00 JST" in (await world.send("two")).texts[0]
    world.now[0] += 17 * 3600  # past midnight in Tokyo
    assert (await world.send("three")).texts == ["echo"]


async def test_failed_requests_give_the_unit_back():
    world = World(guard=limited(messages=1))
    world.model.enqueue(error=UpstreamUnavailable("503"))
    await world.send("fails")
    assert (await world.send("works")).texts == ["echo"]


async def test_failed_images_are_not_charged_and_batches_pay_per_image():
    world = World(guard=limited(images=4))
    world.generator.failures.append(ImageNotMade("blocked", reason="safety"))
    await world.send(command="image", args="nope")
    assert (await world.store.quota_usage(7, world.guard.day())).get("images", 0) == 0
    world.generator.failures.extend([UpstreamUnavailable("x"), UpstreamUnavailable("y")])
    out = await world.send(command="batch", args="robots")
    assert len(out.albums[0]) == 2
    assert (await world.store.quota_usage(7, world.guard.day()))["images"] == 2


async def test_hd_counts_against_its_own_quota():
    world = World(guard=limited(hd_images=0))
    out = await world.send(command="hd", args="a lighthouse")
    assert out.texts == ["You've used all 0 of today's HD images. The limit resets at 00:00 UTC."]
    assert world.generator.requests == []


async def test_tiers_change_the_limits_and_admins_are_unlimited():
    world = World(guard=limited(messages=1))
    await world.send("one", user=BOB)
    await world.send(command="tier", args="2 premium", user=ADMIN)
    assert (await world.send("two", user=BOB)).texts == ["echo"]  # premium: 10x
    for _ in range(3):
        assert (await world.send("hi", user=ADMIN)).texts == ["echo"]


async def test_usage_shows_what_is_left_with_a_bar():
    world = World(guard=limited(messages=10))
    await world.send("one")
    [text] = (await world.send(command="usage")).texts
    assert "Today's usage (free tier):" in text
    assert "Messages: ▓░░░░░░░░░ 9 of 10 left" in text
    assert "Quotas reset at 00:00 UTC." in text


def test_quota_overrides_follow_the_environment_names():
    quotas = parse_quota_overrides({"free": {"images": 3}, "unlimited": {"images": 50}})
    assert quotas[Tier.FREE]["images"] == 3
    assert quotas[Tier.PREMIUM]["images"] == 30  # ten times free unless set
    assert quotas[Tier.UNLIMITED]["images"] == 50
    assert quotas[Tier.FREE]["messages"] == 200


# --- rate limits ------------------------------------------------------------------------------


async def test_going_too_fast_is_told_how_long_to_wait():
    world = World(guard=GuardConfig(rates={"messages": RateRule(per_minute=6, burst=2)}))
    await world.send("one")
    await world.send("two")
    out = await world.send("three")
    assert out.texts == ["You're going a bit fast — please wait 10 s and try again."]
    assert len(world.model.history) == 2


# --- moderation ---------------------------------------------------------------------------------


def test_normalisation_defeats_trivial_evasions():
    assert normalize("ＢＡＤ\u200bword") == "badword"
    assert normalize("Café") == "cafe"
    rules = Blocklist.parse("# comment\nbadword\nre:sec(ret|rets)\n\n/kill\\s+all/\n")
    assert rules.check("this is a ＢＡＤＷＯＲＤ!") is not None
    assert rules.check("tell me secrets") is not None
    assert rules.check("KILL   all humans") is not None
    assert rules.check("badwordish is fine", "good") is None


async def test_blocked_prompts_never_reach_the_model_and_count_towards_a_ban():
    world = World(blocklist="forbidden", autoban=2)
    out = await world.send("something FORBIDDEN")
    assert out.texts == ["Sorry, I can't help with that request."]
    await world.send(command="image", args="forbidden picture")
    assert world.model.history == []
    assert world.generator.requests == []
    assert (await world.store.load_user(7)).banned  # second violation today
    assert (await world.send("hello")).texts == ["You can no longer use this bot."]


async def test_model_safety_blocks_count_as_violations():
    world = World(autoban=1)
    world.generator.failures.append(ImageNotMade("blocked", reason="safety"))
    await world.send(command="image", args="something")
    assert (await world.store.load_user(7)).banned


# --- captcha --------------------------------------------------------------------------------


async def test_captcha_then_the_first_message_is_answered():
    world = World(captcha=True)
    ask = await world.send("my first question")
    assert ask.texts[0].startswith("Welcome! To show you're human, tap the")
    assert world.model.history == []
    answer = (await world.store.load_captcha(7)).answer
    out = await world.press(CaptchaPress(answer))
    assert out.edits[-1][1].text == "Thanks, you're verified! ✅"
    assert out.texts == ["echo"]  # the waiting message got its answer
    assert world.model.history[0].parts[0].text == "my first question"
    assert (await world.send("next")).texts == ["echo"]  # remembered


async def test_three_wrong_taps_mean_a_cooldown():
    world = World(captcha=True)
    await world.send("hi")
    for _ in range(3):
        captcha = await world.store.load_captcha(7)
        wrong = next(
            b.action
            for row in _buttons(world)
            for b in row
            if b.action != CaptchaPress(captcha.answer)
        )
        out = await world.press(wrong)
    assert out.edits[-1][1].text == "Too many wrong answers. Please try again in 10 min."
    assert (await world.send("hi")).texts == ["Too many wrong answers. Please try again in 10 min."]
    world.now[0] += 601
    assert (await world.send("hi")).texts[0].startswith("Welcome!")


def _buttons(world: World) -> tuple[tuple[Button, ...], ...]:
    return (tuple(Button(emoji, CaptchaPress(emoji)) for emoji, _ in CHOICES),)


# --- alerts, stats, broadcast ---------------------------------------------------------------


async def test_unexpected_errors_alert_the_admins_once_per_window():
    world = World(guard=GuardConfig(admins=frozenset({1}), rates={}))
    outs = []
    for _ in range(3):
        world.model.enqueue(error=RuntimeError("boom"))
        outs.append(await world.send("hi"))
    [(chat, alert)] = world.messenger.alerts
    assert chat == 1
    assert alert.title == "RuntimeError"
    assert "boom" in alert.details
    assert outs[0].texts[0].endswith(f"(ref {alert.ref})")  # the user saw the same reference


async def test_stats_sends_a_chart_and_the_figures():
    world = World(guard=GuardConfig(admins=frozenset({1}), rates={}))
    await world.send("hi", user=BOB)
    await world.send(command="image", args="a cat", user=BOB)
    out = await world.send(command="stats", user=ADMIN)
    [photo] = out.photos
    assert photo.data.startswith(b"\x89PNG")
    assert "Active users: 2 today" in photo.caption  # Bob and the admin
    assert "1 messages" in photo.caption
    assert "1 images" in photo.caption


async def test_broadcast_asks_first_then_reports_counts():
    world = World(guard=GuardConfig(admins=frozenset({1}), rates={}))
    for user in (BOB, UserRef(3, "Cy"), UserRef(4, "Di")):
        await world.send("hi", user=user)
    world.messenger.unreachable.add(4)
    ask = await world.send(command="broadcast", args="We are back!", user=ADMIN)
    assert ask.texts[0].startswith("Send this message to 4 users?")  # 3 users and the admin
    go = ask.sent[0].buttons[0][0].action
    await world.press(go, user=ADMIN)
    await world.run_spawned()
    delivered = [chat for chat, text in world.messenger.texts if text == "We are back!"]
    assert 4 not in delivered
    assert 2 in delivered
    report = world.messenger.texts[-1]
    assert report[0] == ADMIN.id
    assert report[1] == "Broadcast finished: 3 delivered, 1 blocked the bot, 0 failed."
    assert (await world.store.load_user(4)).blocked_bot


@pytest.mark.parametrize("name", ["ban", "unban", "tier", "allow", "broadcast"])
async def test_admin_commands_explain_their_usage(name):
    world = World(guard=GuardConfig(admins=frozenset({1}), rates={}))
    out = await world.send(command=name, user=ADMIN)
    assert out.texts[0].startswith("Usage: /")


async def test_allow_lets_a_user_into_a_private_bot():
    world = World(guard=GuardConfig(admins=frozenset({1}), allowed_users=frozenset({1}), rates={}))
    await world.send("hi", user=BOB)
    await world.send(command="allow", args="2", user=ADMIN)
    assert (await world.send("hi", user=BOB)).texts == ["echo"]


async def test_an_unreachable_rate_limiter_lets_users_through():
    from telegemini.errors import StorageError

    class Down:
        async def acquire(self, key, *, rate, burst):
            raise StorageError("redis://127.0.0.1:6379/0 is unreachable")

        async def begin(self, key, *, ttl):
            raise StorageError("down")

        async def end(self, key):
            raise StorageError("down")

        async def close(self):
            return None

    world = World(guard=GuardConfig(rates={"messages": RateRule(per_minute=1, burst=1)}))
    world.guard._limiter = Down()  # type: ignore[assignment]
    assert (await world.send("one")).texts == ["echo"]
    assert (await world.send("two")).texts == ["echo"]
    assert len((await world.send(command="image", args="a cat")).photos) == 1


async def test_a_broadcast_longer_than_telegram_takes_is_refused_before_asking():
    world = World(guard=GuardConfig(admins=frozenset({1}), rates={}))
    out = await world.send(command="broadcast", args="🦊" * 2100, user=ADMIN)  # 4,200 units
    assert out.texts == ["That message is too long for Telegram: 4200 of 4096 characters."]
