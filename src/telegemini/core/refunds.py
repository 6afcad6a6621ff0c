"""The admins' side of selling: ``/refund <user> [charge]`` (Stars back through Telegram, and
what the payment bought taken back) and the Stars lines of ``/stats``."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from telegemini.core.i18n import Translator
from telegemini.core.models import UserRecord
from telegemini.core.offers import PREMIUM_DAYS, OfferKind, PaymentRefused, Refunded
from telegemini.core.shop import Shop

log = logging.getLogger(__name__)

STATS_DAYS = 14


async def refund(shop: Shop, target: UserRecord, charge_id: str | None, t: Translator) -> str:
    """Refund the user's payment ``charge_id`` (default: their latest one not refunded) and
    return what the admin is told."""
    who = f"@{target.username}" if target.username else str(target.id)
    records = [r for r in await shop.payments.payments_of(target.id) if not r.refunded]
    if charge_id is not None:
        records = [r for r in records if r.charge_id == charge_id]
    if not records:
        return t("shop.refund_none", who=who)
    record = records[0]
    if shop.checkout is None:
        return t("shop.refund_failed", reason="no checkout")
    try:
        await shop.checkout.refund(target.id, record.charge_id)
    except PaymentRefused as exc:
        log.warning("refund of %s refused: %s", record.charge_id, exc.reason)
        return t("shop.refund_failed", reason=exc.reason)
    done = await shop.payments.refund(record.charge_id, days=PREMIUM_DAYS, now=shop.now())
    if done is None:  # refunded meanwhile (another admin, another instance)
        return t("shop.refund_none", who=who)
    if record.kind is OfferKind.PREMIUM:
        try:
            await shop.checkout.cancel_subscription(target.id, record.charge_id)
        except PaymentRefused as exc:
            log.info("subscription of %s not cancelled: %s", target.id, exc.reason)
    if shop.messenger is not None:  # told in their own language
        mine = await shop.translator(target.id, target.language_code)
        await shop.messenger.send_text(
            target.id, mine("shop.refunded_user", stars=record.stars, what=_what(shop, done, mine))
        )
    return t("shop.refund_done", who=who, stars=record.stars, what=_what(shop, done, t))


def _what(shop: Shop, done: Refunded, t: Translator) -> str:
    if done.record.kind is OfferKind.PACK:
        return t("shop.refund_took_pack", images=done.pack_taken)
    if done.premium_until is not None and done.premium_until > shop.now():
        return t("shop.refund_took_month", date=shop.until_text(t, done.premium_until))
    return t("shop.refund_took_premium")


async def stats_lines(shop: Shop, today: datetime, t: Translator) -> list[str]:
    """Stars earned today and in 14 days (refunds taken off), active subscriptions, packs
    sold in 14 days."""
    if not shop.enabled:
        return []
    first = (today - timedelta(days=STATS_DAYS - 1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    records = await shop.payments.payments_since(first.timestamp())
    kept = [r for r in records if not r.refunded]
    day = today.date()
    stars_today = sum(
        r.stars for r in kept if datetime.fromtimestamp(r.paid_at, today.tzinfo).date() == day
    )
    packs = sum(1 for r in kept if r.kind is OfferKind.PACK)
    active = await shop.payments.active_subscriptions(today.timestamp())
    return [
        t(
            "shop.stats",
            today=stars_today,
            days=STATS_DAYS,
            total=sum(r.stars for r in kept),
            subscriptions=active,
            packs=packs,
            refunds=len(records) - len(kept),
        )
    ]
