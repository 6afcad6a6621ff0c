"""Premium and image packs for Telegram Stars, end to end: the real aiogram against the fake Bot
API's invoices, pre-checkout queries, payments, renewals, subscription updates and refunds."""

from __future__ import annotations

import asyncio
import time

import pytest

from telegemini.core.offers import Offer, OfferKind, Payment
from telegemini.sandbox.fake_telegram import FakeTelegramServer, FakeUser
from tests.e2e.test_instances import SECRET, RoundRobin
from tests.helpers.databases import postgres_database

ADMIN = FakeUser(id=4242, first_name="Olga", username="olga", language_code="en")
STARS = {
    "stars_enabled": True,
    "premium_monthly_stars": 250,
    "image_packs": "50:250,200:900",
    "admin_user_ids": [ADMIN.id],
}
DAY = 86400


@pytest.fixture(params=["polling", "webhook"])
async def shop_bot(request, start_bot):
    return await start_bot(request.param, **STARS)


def texts(telegram: FakeTelegramServer, chat_id: int) -> list[str]:
    return [m.get("text") or "" for m in telegram.bot_messages(chat_id)]


async def wait_for_text(telegram, chat_id: int, needle: str, *, timeout: float = 5.0) -> str:
    await telegram.wait_until(
        lambda: any(needle in t for t in texts(telegram, chat_id)),
        timeout=timeout,
        what=f"a bot message containing {needle!r} in chat {chat_id}",
    )
    return next(t for t in texts(telegram, chat_id) if needle in t)


async def open_shop(telegram, user) -> dict:
    before = len(telegram.bot_messages(user.id))
    telegram.send_text(user, "/premium")
    messages = await telegram.wait_for_bot_messages(user.id, before + 1)
    return messages[-1]


async def buy_premium(telegram, user):
    menu = await open_shop(telegram, user)
    telegram.press_button(user, menu, "buy:premium")
    [link] = await telegram.wait_for_calls("createInvoiceLink")
    assert int(link.params["subscription_period"]) == 2592000
    assert link.params["currency"] == "XTR"
    assert link.params.get("provider_token", "") == ""
    checkout = telegram.pay(user, link.result)
    await telegram.wait_until(lambda: checkout.answered, what="the pre-checkout answer")
    assert checkout.ok, checkout.error_message
    await wait_for_text(telegram, user.id, "Premium until")
    [charge] = telegram.charges(user)
    return charge


async def usage(telegram, user) -> str:
    before = len(telegram.bot_messages(user.id))
    telegram.send_text(user, "/usage")
    return (await telegram.wait_for_bot_messages(user.id, before + 1))[-1]["text"]


async def test_premium_bought_raises_the_quotas_at_once(shop_bot, telegram, alice):
    menu = await open_shop(telegram, alice)
    assert "⭐ 250 a month: 100 images" in menu["text"]
    buttons = [b for row in menu["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["text"] for b in buttons] == [
        "⭐ 250 · Premium for a month",
        "⭐ 250 · 50 images",
        "⭐ 900 · 200 images",
    ]
    assert "free tier" in await usage(telegram, alice)

    await buy_premium(telegram, alice)
    thanks = await wait_for_text(telegram, alice.id, "Premium until")
    assert "100 images and 2000 messages a day" in thanks
    shown = await usage(telegram, alice)
    assert "premium tier" in shown
    assert "Images: ░░░░░░░░░░ 100 of 100 left" in shown
    assert "You have Premium until" in shown


async def test_the_same_payment_delivered_twice_is_credited_once(shop_bot, telegram, alice):
    charge = await buy_premium(telegram, alice)
    telegram.deliver_payment(charge)  # Telegram redelivers it (a new update, same charge)
    telegram.send_text(alice, "/usage")
    shown = await wait_for_text(telegram, alice.id, "Today's usage")
    assert "premium tier" in shown
    assert sum(t.startswith("Thank you!") for t in texts(telegram, alice.id)) == 1
    user = await shop_bot.store.load_user(alice.id)
    assert user.premium_until == pytest.approx(charge.date + 30 * DAY, abs=2)  # not 60 days
    assert shop_bot.assistant.shop is not None
    [record] = await shop_bot.assistant.shop.payments.payments_of(alice.id)
    assert record.charge_id == charge.charge_id


async def test_a_renewal_extends_premium_by_30_days(shop_bot, telegram, alice):
    charge = await buy_premium(telegram, alice)
    user = await shop_bot.store.load_user(alice.id)
    first_until = user.premium_until
    assert first_until == pytest.approx(charge.date + 30 * DAY, abs=2)
    telegram.renew(charge)
    await wait_for_text(telegram, alice.id, "Premium renewed until")
    shop_bot.store.forget_user(alice.id)
    renewed = await shop_bot.store.load_user(alice.id)
    assert renewed.premium_until == pytest.approx(first_until + 30 * DAY, abs=1)


async def test_a_cancelled_subscription_ends_premium_after_the_paid_period(
    shop_bot, telegram, alice
):
    charge = await buy_premium(telegram, alice)
    telegram.update_subscription(alice, charge.invoice.payload, "canceled")
    text = await wait_for_text(telegram, alice.id, "subscription is cancelled")
    assert "You keep Premium until" in text
    assert "premium tier" in await usage(telegram, alice)  # still paid for
    shop = shop_bot.assistant.shop
    # The paid period ends: the user is told once, and is on the free tier again.
    user = await shop_bot.store.load_user(alice.id)
    shop._clock = lambda: user.premium_until + 1
    shop_bot.assistant._guard._clock = shop._clock
    assert await shop.tell_endings() == 1
    assert await shop.tell_endings() == 0
    await wait_for_text(telegram, alice.id, "Your Premium has ended")
    assert "free tier" in await usage(telegram, alice)


async def test_a_banned_users_pre_checkout_is_refused(shop_bot, telegram, alice):
    menu = await open_shop(telegram, alice)
    telegram.press_button(alice, menu, "buy:pack-50")
    [invoice_call] = await telegram.wait_for_calls("sendInvoice")
    invoice = invoice_call.result
    assert invoice["invoice"] == {
        "title": "50 images",
        "description": invoice["invoice"]["description"],
        "start_parameter": "",
        "currency": "XTR",
        "total_amount": 250,
    }
    telegram.send_text(ADMIN, f"/ban {alice.id}")
    await wait_for_text(telegram, ADMIN.id, "is banned")
    checkout = telegram.pay(alice, telegram.invoices()[-1])
    await telegram.wait_until(lambda: checkout.answered, what="the pre-checkout answer")
    assert checkout.ok is False
    assert (
        checkout.error_message == "You can no longer use this bot, so it can't take your payment."
    )
    assert telegram.charges(alice) == []


async def test_an_offer_changed_since_it_was_shown_is_refused(shop_bot, telegram, alice):
    menu = await open_shop(telegram, alice)
    telegram.press_button(alice, menu, "buy:pack-50")
    await telegram.wait_for_calls("sendInvoice")
    invoice = telegram.invoices()[-1]
    invoice.payload = "pack:50:100"  # an invoice from before the price went up
    invoice.amount = 100
    checkout = telegram.pay(alice, invoice)
    await telegram.wait_until(lambda: checkout.answered, what="the pre-checkout answer")
    assert checkout.ok is False
    assert "offer has changed" in (checkout.error_message or "")


async def test_an_admin_refund_returns_the_user_to_free(shop_bot, telegram, alice):
    charge = await buy_premium(telegram, alice)
    telegram.send_text(ADMIN, f"/refund {alice.id}")
    done = await wait_for_text(telegram, ADMIN.id, "Refunded")
    assert done == "Refunded ⭐ 250 to @alice: Premium ended."
    [refund] = telegram.calls_of("refundStarPayment")
    assert refund.params["telegram_payment_charge_id"] == charge.charge_id
    assert telegram.charges(alice)[0].refunded
    await wait_for_text(telegram, alice.id, "⭐ 250 were refunded to you")
    assert "free tier" in await usage(telegram, alice)
    telegram.send_text(ADMIN, "/stats")
    await telegram.wait_for_calls("sendPhoto", chat_id=ADMIN.id)
    caption = telegram.calls_of("sendPhoto")[-1].params["caption"]
    assert "Stars: ⭐ 0 today · ⭐ 0 in 14 days · active subscriptions 0" in caption
    assert "refunds 1" in caption


async def test_a_failed_image_from_a_pack_gives_the_unit_back(start_bot, telegram, alice):
    await start_bot(image_timeout=5.0, quotas={"free": {"images": 0}}, **STARS)
    menu = await open_shop(telegram, alice)
    telegram.press_button(alice, menu, "buy:pack-50")
    await telegram.wait_for_calls("sendInvoice")
    checkout = telegram.pay(alice, telegram.invoices()[-1])
    await wait_for_text(telegram, alice.id, "50 images added")
    assert checkout.ok
    telegram.send_text(alice, "/image [[blocked]] a harbour")
    await wait_for_text(telegram, alice.id, "safety rules blocked it")
    assert "Image packs: 50 images left" in await usage(telegram, alice)
    telegram.send_text(alice, "/image a harbour at dusk")
    await telegram.wait_for_calls("sendPhoto", chat_id=alice.id)
    shown = await usage(telegram, alice)
    assert "Image packs: 49 images left" in shown


async def test_with_stars_off_nothing_of_selling_appears(start_bot, telegram, alice):
    await start_bot()
    telegram.send_text(alice, "/help")
    [help_text] = await telegram.wait_for_bot_messages(alice.id, 1)
    for word in ("/premium", "/paysupport", "/terms", "Stars"):
        assert word not in help_text["text"]
    telegram.send_text(alice, "/premium")
    await telegram.wait_for_bot_messages(alice.id, 2)
    assert texts(telegram, alice.id)[-1] == (
        "I don't know that command. Send /help to see what I can do."
    )
    menus = [c.params["commands"] for c in telegram.calls_of("setMyCommands")]
    assert menus
    assert all("premium" not in str(m) and "refund" not in str(m) for m in menus)
    assert "usage" in str(menus[0])
    telegram.send_text(alice, "/usage")
    shown = await wait_for_text(telegram, alice.id, "Today's usage")
    assert "pack" not in shown.lower()
    assert "Premium" not in shown


async def test_pre_checkout_answered_late_charges_nothing(shop_bot, telegram, alice):
    menu = await open_shop(telegram, alice)
    telegram.press_button(alice, menu, "buy:pack-50")
    await telegram.wait_for_calls("sendInvoice")
    late = [0.0]
    telegram.clock = lambda: time.monotonic() + late[0]
    checkout = telegram.pay(alice, telegram.invoices()[-1])
    late[0] = 60.0  # the answer comes a minute after the query
    await telegram.wait_until(lambda: checkout.answered, what="the late answer")
    assert checkout.ok is None  # refused by Telegram: too late
    assert telegram.charges(alice) == []


@pytest.fixture
async def database():
    async with postgres_database() as url:
        yield url


@pytest.fixture
async def balancer():
    lb = RoundRobin()
    await lb.start()
    try:
        yield lb
    finally:
        await lb.stop()


# `database` comes first: fixtures are torn down in reverse, so the bots stop before it goes.
async def test_two_instances_on_postgres_credit_a_payment_once(
    database, balancer, start_bot, telegram, alice
):
    common = {"database_url": database, "telegram_secret_token": SECRET, **STARS}
    first = await start_bot("webhook", **common)
    second = await start_bot("webhook", **common)
    balancer.targets = [f"http://127.0.0.1:{b.webhook.port}" for b in (first, second)]
    await first.bot.set_webhook(f"{balancer.url}/webhook", secret_token=SECRET)
    charge = await buy_premium(telegram, alice)
    # Telegram delivers the same payment again, twice: the balancer hands one to each instance.
    telegram.deliver_payment(charge)
    telegram.deliver_payment(charge)
    await telegram.wait_until(lambda: len(balancer.sent) >= 6, what="the redeliveries")
    shown = await usage(telegram, alice)
    assert "premium tier" in shown
    assert sum(t.startswith("Thank you!") for t in texts(telegram, alice.id)) == 1
    # And both instances crediting one new charge at the same moment: one of them does.
    payment = Payment("stxBOTH", alice.id, 250, Offer(OfferKind.PACK, 250, images=50), time.time())
    shops = [b.assistant.shop for b in (first, second)]
    results = await asyncio.gather(*(s.payments.credit(payment, days=30) for s in shops))
    assert sorted(r is None for r in results) == [False, True]
    assert await shops[0].payments.pack_left(alice.id) == 50
    user = await second.store.load_user(alice.id)
    assert user.premium_until == pytest.approx(charge.date + 30 * DAY, abs=2)
