"""Premium and image packs for Telegram Stars: /premium (/buy), the pre-checkout answer, crediting
a payment exactly once, renewals and cancellations, Premium's end, /paysupport and /terms.

Admins' side (``/refund``, the Stars lines of ``/stats``) is in ``core/refunds.py``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, tzinfo

from telegemini.core.buttons import ShopPress
from telegemini.core.guards import Guard
from telegemini.core.i18n import Translator, resolve_language
from telegemini.core.models import (
    Button,
    IncomingCallback,
    IncomingMessage,
    Reply,
    Tier,
    UserRecord,
    UserRef,
)
from telegemini.core.offers import (
    CURRENCY,
    PREMIUM_DAYS,
    Credited,
    OfferKind,
    Payment,
    PreCheckout,
    ShopConfig,
    SubscriptionState,
    date_text,
    parse_payload,
)
from telegemini.core.ports import ChatOutput, Checkout, Messenger, PaymentStore, Store

log = logging.getLogger(__name__)

RENEWAL_GRACE = 3600.0  # seconds a renewing subscription may be late before "Premium ended"


class Shop:
    """What the operator sells, and what a payment buys. Inert unless ``STARS_ENABLED``."""

    def __init__(
        self,
        store: Store,
        payments: PaymentStore,
        guard: Guard,
        config: ShopConfig,
        *,
        checkout: Checkout | None = None,
        messenger: Messenger | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self.payments = payments
        self._guard = guard
        self.config = config
        self.checkout = checkout
        self.messenger = messenger
        self._clock = clock

    def attach(self, checkout: Checkout, messenger: Messenger) -> None:
        self.checkout = checkout
        self.messenger = messenger

    def now(self) -> float:
        return self._clock()

    @property
    def enabled(self) -> bool:
        return self.config.enabled

    @property
    def _tz(self) -> tzinfo:
        return self._guard.config.timezone

    def until_text(self, t: Translator, until: float) -> str:
        return date_text(t.language, datetime.fromtimestamp(until, self._tz))

    def _limit(self, kind: str) -> str:
        value = self._guard.config.quotas.get(Tier.PREMIUM, {}).get(kind, -1)
        return "∞" if value < 0 else str(value)

    # --- commands ------------------------------------------------------------------------------

    async def run(
        self,
        message: IncomingMessage,
        name: str,
        args: str,
        user: UserRecord,
        out: ChatOutput,
        t: Translator,
    ) -> None:
        if name == "terms":
            text = self.config.terms_text or t("shop.terms_default")
            await out.send(Reply(text, markdown=False))
        elif name == "paysupport":
            await self._paysupport(message, args, out, t)
        elif not message.chat.is_private:
            await out.send(Reply(t("shop.private_only"), markdown=False))
        else:
            await out.send(await self.screen(user, t))

    async def screen(self, user: UserRecord, t: Translator) -> Reply:
        """/premium: what is on sale, with a button for each offer, and what the user has."""
        offers = self.config.offers()
        if not offers:
            return Reply(t("shop.nothing_for_sale"), markdown=False)
        lines = [t("shop.title")]
        buttons: list[tuple[Button, ...]] = []
        for offer in offers:
            if offer.kind is OfferKind.PREMIUM:
                lines.append(
                    t(
                        "shop.premium_offer",
                        stars=offer.stars,
                        images=self._limit("images"),
                        hd=self._limit("hd_images"),
                        messages=self._limit("messages"),
                    )
                )
                label = t("shop.button_premium", stars=offer.stars)
            else:
                lines.append(t("shop.pack_offer", images=offer.images, stars=offer.stars))
                label = t("shop.button_pack", images=offer.images, stars=offer.stars)
            buttons.append((Button(label, ShopPress(offer.key)),))
        lines += await self.usage_lines(user, t)
        lines.append(t("shop.footer"))
        return Reply("\n\n".join(lines), markdown=False, buttons=tuple(buttons))

    async def usage_lines(self, user: UserRecord, t: Translator) -> list[str]:
        """What the user has bought and still has (for /premium and /usage)."""
        if not self.enabled:
            return []
        lines = []
        until = user.premium_until
        if until is not None and until > self._clock() and not user.tier_pinned:
            lines.append(t("shop.has_premium", date=self.until_text(t, until)))
        left = await self.payments.pack_left(user.id)
        if left:
            lines.append(t("shop.has_pack", left=left))
        return lines

    async def _paysupport(
        self, message: IncomingMessage, text: str, out: ChatOutput, t: Translator
    ) -> None:
        if not text:
            intro = self.config.paysupport_text or t("shop.paysupport_default")
            await out.send(Reply(f"{intro}\n\n{t('shop.paysupport_how')}", markdown=False))
            return
        user = message.user
        who = f"@{user.username}" if user.username else user.first_name or str(user.id)
        note = t("shop.paysupport_forward", who=who, user_id=user.id, text=text)
        sent = False
        for admin in sorted(self._guard.config.admins):
            if self.messenger is not None and await self.messenger.send_text(admin, note):
                sent = True
        key = "shop.paysupport_sent" if sent else "shop.paysupport_nobody"
        await out.send(Reply(t(key), markdown=False))

    # --- buying --------------------------------------------------------------------------------

    async def press(
        self, press: ShopPress, callback: IncomingCallback, out: ChatOutput, t: Translator
    ) -> None:
        offer = self.config.find(press.offer)
        if offer is None or self.checkout is None:
            await out.answer_callback(t("shop.offer_gone"))
            return
        if offer.kind is OfferKind.PREMIUM:
            title = t("shop.invoice_premium_title")
            description = t(
                "shop.invoice_premium",
                images=self._limit("images"),
                messages=self._limit("messages"),
                days=PREMIUM_DAYS,
            )
        else:
            title = t("shop.invoice_pack_title", images=offer.images)
            description = t("shop.invoice_pack", images=offer.images)
        await self.checkout.offer(
            callback.chat.id,
            offer,
            title=title,
            description=description,
            button=t("shop.pay", stars=offer.stars),
        )
        await out.answer_callback(None)

    async def pre_checkout(self, query: PreCheckout) -> str | None:
        """None to go ahead, or why not in the user's language: the offer changed, the user is
        banned, or nothing is on sale."""
        prefs = await self._store.load_preferences(query.user_id, query.user_id)
        t = Translator(prefs.ui_language or resolve_language(query.language_code))
        if not self.enabled:
            return t("shop.refuse_closed")
        offer = parse_payload(query.payload)
        on_sale = self.config.offers()
        if (
            offer is None
            or offer not in on_sale
            or query.currency != CURRENCY
            or query.stars != offer.stars
        ):
            return t("shop.refuse_changed")
        user = await self._store.load_user(query.user_id)
        if user is not None and user.banned and not self._guard.is_admin(user.id):
            return t("shop.refuse_banned")
        return None

    async def paid(self, payment: Payment, user: UserRef, out: ChatOutput) -> Credited | None:
        """Credit the payment (once per charge id, whatever Telegram redelivers) and say what
        changed."""
        credited = await self.payments.credit(payment, days=PREMIUM_DAYS)
        if credited is None:
            log.info("payment %s was credited before; ignored", payment.charge_id)
            return None
        log.info(
            "user %s paid %s Stars for %s (recurring %s)",
            user.id,
            payment.stars,
            payment.offer.payload,
            payment.recurring,
        )
        await self._store.count(self._guard.day(), user.id, f"stars:{payment.offer.kind}")
        t = await self.translator(user.id, user.language_code)
        if payment.offer.kind is OfferKind.PREMIUM and credited.premium_until is not None:
            date = self.until_text(t, credited.premium_until)
            key = "shop.renewed" if payment.recurring else "shop.thanks_premium"
            text = t(key, date=date, images=self._limit("images"), messages=self._limit("messages"))
            record = await self._store.load_user(user.id)
            if record is not None and record.tier_pinned:
                text += "\n\n" + t("shop.tier_pinned", tier=record.tier.value)
        else:
            text = t("shop.thanks_pack", images=payment.offer.images, left=credited.pack_left)
        await out.send(Reply(text, markdown=False))
        return credited

    async def unknown_payment(self, user: UserRef, payload: str, out: ChatOutput) -> None:
        """A payment for an invoice this bot does not know: the operator must look at it."""
        log.error("payment by %s for an unknown invoice payload %r", user.id, payload)
        t = await self.translator(user.id, user.language_code)
        await out.send(Reply(t("shop.paid_unknown"), markdown=False))

    async def refunded_elsewhere(self, user: UserRef, charge_id: str) -> None:
        """Telegram says a payment was refunded (a dispute; or our /refund, already done)."""
        done = await self.payments.refund(charge_id, days=PREMIUM_DAYS, now=self._clock())
        if done is not None:
            log.warning("payment %s of %s refunded by Telegram; taken back", charge_id, user.id)

    # --- subscriptions -------------------------------------------------------------------------

    async def subscription_changed(self, user: UserRef, payload: str, state: str) -> None:
        """``subscription`` (Bot API 10.2): cancelled or a failed renewal ends Premium when the
        paid period does; active again means it renews."""
        try:
            known = SubscriptionState(state)
        except ValueError:
            log.warning("subscription of %s: unknown state %r", user.id, state)
            return
        if parse_payload(payload) is None:
            log.warning("subscription of %s for an unknown payload %r", user.id, payload)
        until = await self.payments.set_subscription(user.id, known)
        if until is None or self.messenger is None:
            return
        t = await self.translator(user.id, user.language_code)
        text = t(f"shop.subscription_{known.value}", date=self.until_text(t, until))
        await self.messenger.send_text(user.id, text)

    async def tell_endings(self) -> int:
        """Tell each user whose Premium ended (and did not renew) that they are on the free tier
        again; each is told once, by one instance."""
        if self.messenger is None:
            return 0
        told = 0
        for user_id in await self.payments.take_ended(self._clock(), grace=RENEWAL_GRACE):
            user = await self._store.load_user(user_id)
            if user is None or user.tier_pinned or user.banned:
                continue
            t = await self.translator(user_id, user.language_code)
            if await self.messenger.send_text(user_id, t("shop.ended")):
                told += 1
        return told

    async def translator(self, user_id: int, language_code: str | None) -> Translator:
        prefs = await self._store.load_preferences(user_id, user_id)
        return Translator(prefs.ui_language or resolve_language(language_code))
