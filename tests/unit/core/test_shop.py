"""Premium and image packs for Stars in the core, with the in-memory fakes: offers, the
pre-checkout answer, crediting once, renewals, cancellations, Premium's end, packs after the
day's quota (and refunded to where they came from), /refund, /stats, /tier, STARS_ENABLED off."""

from __future__ import annotations

from dataclasses import replace

import pytest

from telegemini.core.buttons import ShopPress
from telegemini.core.guards import GuardConfig
from telegemini.core.models import Tier, UserRef
from telegemini.core.offers import (
    Offer,
    OfferKind,
    Pack,
    Payment,
    PreCheckout,
    ShopConfig,
    parse_packs,
    parse_payload,
)
from telegemini.errors import ImageNotMade
from tests.helpers.fakes import FakeChatOutput
from tests.helpers.world import USER, World

ADMIN = UserRef(99, "Olga", "olga", "en")
SHOP = ShopConfig(
    enabled=True,
    premium_stars=250,
    packs=(Pack(50, 250), Pack(200, 900)),
    paysupport_text="Write to support@example.com",
    terms_text="No refunds after use.",
)
PREMIUM = Offer(OfferKind.PREMIUM, 250)
PACK = Offer(OfferKind.PACK, 250, images=50)
DAY = 86400.0


def world(**extra) -> World:
    return World(guard=GuardConfig(admins=frozenset({ADMIN.id}), rates={}), shop=SHOP, **extra)


async def pay(w: World, offer: Offer, charge: str = "ch1", *, recurring: bool = False) -> str:
    out = FakeChatOutput()
    payment = Payment(charge, USER.id, offer.stars, offer, w.now[0], recurring=recurring)
    await w.shop.paid(payment, USER, out)
    return "\n".join(out.texts)


def test_packs_are_parsed_and_bad_ones_say_what_is_wrong():
    assert parse_packs("50:250, 200:900") == (Pack(50, 250), Pack(200, 900))
    assert parse_packs("") == ()
    with pytest.raises(ValueError, match="images:stars"):
        parse_packs("50-250")
    with pytest.raises(ValueError, match="1-10000 Stars"):
        parse_packs("50:0")
    with pytest.raises(ValueError, match="two packs of 50"):
        parse_packs("50:250,50:300")


def test_a_payload_names_its_offer_and_price():
    assert parse_payload(PREMIUM.payload) == PREMIUM
    assert parse_payload(PACK.payload) == PACK
    assert parse_payload("pack:x:1") is None
    assert parse_payload("anything") is None


async def test_premium_lists_offers_as_buttons_and_a_press_opens_the_invoice():
    w = world()
    out = await w.send(command="premium")
    [reply] = out.sent
    assert "⭐ 250 a month: 100 images, 20 HD images and 2000 messages a day" in reply.text
    labels = [b.label for row in reply.buttons for b in row]
    assert labels == ["⭐ 250 · Premium for a month", "⭐ 250 · 50 images", "⭐ 900 · 200 images"]
    await w.press(ShopPress("premium"))
    assert w.checkout.offers == [(USER.id, PREMIUM, "Pay ⭐ 250")]
    gone = await w.press(ShopPress("pack-7"))
    assert gone.callback_answers == [
        "That offer is no longer available. Send /premium to see the current ones."
    ]


async def test_buy_is_premium_and_groups_are_sent_to_the_private_chat():
    w = world()
    assert (await w.send(command="buy")).sent[0].buttons
    from telegemini.core.models import ChatRef, ChatType

    group = await w.send(command="premium", chat=ChatRef(-5, ChatType.SUPERGROUP))
    assert group.texts == ["Buying works in a private chat with me: open it and send /premium."]


async def test_pre_checkout_refuses_a_changed_offer_a_banned_user_and_a_closed_shop():
    w = world()

    def asked(payload: str, stars: int) -> PreCheckout:
        return PreCheckout("q", USER.id, "es", "XTR", stars, payload)

    assert await w.shop.pre_checkout(asked(PACK.payload, 250)) is None
    changed = await w.shop.pre_checkout(asked("pack:50:100", 100))
    assert (
        changed == "Esta oferta ha cambiado desde que se mostró. Envía /premium para ver la actual."
    )
    assert await w.shop.pre_checkout(asked(PACK.payload, 249)) is not None
    await w.store.remember_user(USER)
    await w.store.save_user(replace(w.store.users[USER.id], banned=True))
    banned = await w.shop.pre_checkout(asked(PACK.payload, 250))
    assert banned == "Ya no puedes usar este bot, así que no puede aceptar tu pago."
    w.shop.config = replace(SHOP, enabled=False)
    assert await w.shop.pre_checkout(asked(PACK.payload, 250)) == (
        "Este bot no vende nada ahora mismo."
    )


async def test_a_payment_is_credited_once_and_premium_raises_the_quotas_at_once():
    w = world()
    await w.send("hello")
    w.model.enqueue("hi")
    assert w.guard.tier(w.store.users[USER.id]) is Tier.FREE
    thanks = await pay(w, PREMIUM)
    assert thanks.startswith("Thank you! ⭐ Premium until 11 February: 100 images and 2000")
    assert await pay(w, PREMIUM) == ""  # the same charge again: nothing, said nothing
    user = w.store.users[USER.id]
    assert user.premium_until == w.now[0] + 30 * DAY
    assert w.guard.tier(user) is Tier.PREMIUM
    assert w.guard.limit(user, "images") == 100


async def test_a_renewal_extends_by_30_days_and_cancelling_keeps_the_paid_period():
    w = world()
    await pay(w, PREMIUM, "ch1")
    first = w.store.users[USER.id].premium_until
    renewed = await pay(w, PREMIUM, "ch2", recurring=True)
    assert renewed == "Premium renewed until 13 March. Thank you!"
    assert w.store.users[USER.id].premium_until == first + 30 * DAY
    await w.shop.subscription_changed(USER, PREMIUM.payload, "canceled")
    assert w.messenger.texts[-1] == (
        USER.id,
        "Your Premium subscription is cancelled. You keep Premium until 13 March.",
    )
    assert w.guard.tier(w.store.users[USER.id]) is Tier.PREMIUM
    assert await w.shop.tell_endings() == 0  # not yet
    w.now[0] = first + 30 * DAY + 1
    assert await w.shop.tell_endings() == 1
    assert await w.shop.tell_endings() == 0  # told once
    assert w.messenger.texts[-1][1].startswith("Your Premium has ended")
    assert w.guard.tier(w.store.users[USER.id]) is Tier.FREE


async def test_an_active_subscription_gets_an_hour_for_its_renewal_before_the_end_is_told():
    w = world()
    await pay(w, PREMIUM)
    w.now[0] += 30 * DAY + 60
    assert await w.shop.tell_endings() == 0
    w.now[0] += 3600
    assert await w.shop.tell_endings() == 1


async def test_pack_images_are_used_after_the_quota_and_a_failure_goes_back_to_the_pack():
    w = World(guard=GuardConfig(rates={}, quotas={Tier.FREE: {"images": 1}}), shop=SHOP)
    await pay(w, PACK)
    await w.send(command="image", args="a cat")  # the day's one image
    assert await w.payments.pack_left(USER.id) == 50
    w.generator.failures.append(ImageNotMade("blocked", reason="safety"))
    await w.send(command="image", args="a dog")  # from the pack, failed: back to the pack
    assert await w.payments.pack_left(USER.id) == 50
    await w.send(command="image", args="a bird")
    assert await w.payments.pack_left(USER.id) == 49
    usage = "\n".join((await w.send(command="usage")).texts)
    assert "Images: ▓▓▓▓▓▓▓▓▓▓ 0 of 1 left" in usage
    assert "Image packs: 49 images left (used after today's images)." in usage


async def test_a_batch_takes_what_is_left_of_the_quota_then_the_pack():
    w = World(guard=GuardConfig(rates={}, quotas={Tier.FREE: {"images": 2}}), shop=SHOP)
    await pay(w, PACK)
    user = await w.store.remember_user(USER)
    bill = await w.guard.charge(user, "images", 4)
    assert (bill.amount, bill.from_pack) == (2, 2)
    await bill.refund(3)  # one image delivered: the pack's two back first, then one quota
    assert (bill.amount, bill.from_pack) == (1, 0)
    assert await w.payments.pack_left(USER.id) == 50


async def test_admin_refund_takes_back_what_was_bought_and_stats_show_the_stars():
    w = world()
    await w.send("hi")
    w.model.enqueue("hi")
    await pay(w, PREMIUM, "ch1")
    await pay(w, PACK, "ch2")
    out = await w.send(command="refund", args=f"{USER.id} ch1", user=ADMIN)
    assert out.texts == ["Refunded ⭐ 250 to @ada: Premium ended."]
    assert w.checkout.refunds == [(USER.id, "ch1")]
    assert w.checkout.cancelled == [(USER.id, "ch1")]
    assert w.guard.tier(w.store.users[USER.id]) is Tier.FREE
    assert (USER.id, "⭐ 250 were refunded to you. Premium ended.") in w.messenger.texts
    again = await w.send(command="refund", args=f"{USER.id} ch1", user=ADMIN)
    assert again.texts == ["@ada has no payment to refund."]
    pack = await w.send(command="refund", args=f"{USER.id}", user=ADMIN)
    assert pack.texts == ["Refunded ⭐ 250 to @ada: 50 images taken out of their packs."]
    assert await w.payments.pack_left(USER.id) == 0
    w.checkout.refuse_refund = "CHARGE_ALREADY_REFUNDED"
    await pay(w, PACK, "ch3")
    refused = await w.send(command="refund", args=f"{USER.id}", user=ADMIN)
    assert refused.texts == ["Telegram refused the refund: CHARGE_ALREADY_REFUNDED"]
    stats = await w.send(command="stats", user=ADMIN)
    [caption] = [p.caption for p in stats.photos]
    assert "Stars: ⭐ 250 today · ⭐ 250 in 14 days · active subscriptions 0 · packs sold 1" in (
        caption
    )
    assert "refunds 2" in caption
    usage = await w.send(command="refund", user=ADMIN)
    assert usage.texts[0].startswith("Usage: /refund")


async def test_tier_set_by_an_admin_wins_over_a_purchase_until_reset():
    w = world()
    await w.store.remember_user(USER)
    await w.send(command="tier", args=f"{USER.id} free", user=ADMIN)
    thanks = await pay(w, PREMIUM)
    assert "(An admin has set your tier to free; it applies until they reset it.)" in thanks
    assert w.guard.tier(w.store.users[USER.id]) is Tier.FREE
    out = await w.send(command="tier", args=f"{USER.id} reset", user=ADMIN)
    assert out.texts == ["@ada's tier follows their purchases again."]
    assert w.guard.tier(w.store.users[USER.id]) is Tier.PREMIUM


async def test_paysupport_forwards_to_the_admins_and_terms_shows_the_operators_text():
    w = world()
    intro = await w.send(command="paysupport")
    assert intro.texts[0].startswith("Write to support@example.com\n\nWrite /paysupport")
    sent = await w.send(command="paysupport", args="I paid twice")
    assert sent.texts == [
        "Your message went to the operator. They will answer you here in Telegram."
    ]
    assert w.messenger.texts == [(ADMIN.id, "💬 Payment support from @ada (id 7):\nI paid twice")]
    assert (await w.send(command="terms")).texts == ["No refunds after use."]


async def test_with_stars_off_the_commands_do_not_exist_and_help_does_not_list_them():
    w = World(guard=GuardConfig(admins=frozenset({ADMIN.id}), rates={}))
    for command in ("premium", "buy", "paysupport", "terms"):
        out = await w.send(command=command)
        assert out.texts == ["I don't know that command. Send /help to see what I can do."]
    assert (await w.send(command="refund", args="7", user=ADMIN)).texts == [
        "I don't know that command. Send /help to see what I can do."
    ]
    help_text = "\n".join((await w.send(command="help")).texts)
    assert "/premium" not in help_text
    assert "/terms" not in help_text
    press = await w.press(ShopPress("premium"))
    assert press.callback_answers == ["This button is no longer valid."]
    assert w.checkout.offers == []
    with_stars = "\n".join((await world().send(command="help")).texts)
    assert "/premium — Premium and image packs, paid in Telegram Stars" in with_stars
