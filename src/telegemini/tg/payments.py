"""Telegram Stars on the Bot API: ``Checkout`` (invoices, the pre-checkout answer, refunds) and
the payments router (``pre_checkout_query``, ``successful_payment``, ``refunded_payment``,
``subscription``), each handed to the core's ``Shop``.

A subscription is offered as a link to Telegram's payment sheet (``createInvoiceLink`` with
``subscription_period`` 2592000, the only period Telegram allows); a pack as an invoice in the
chat (``sendInvoice``). Both in ``XTR`` with an empty provider token, as Telegram requires for
digital goods.
"""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Filter
from aiogram.types import (
    BotSubscriptionUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LabeledPrice,
    Message,
    PreCheckoutQuery,
)

from telegemini.core.i18n import Translator, resolve_language
from telegemini.core.models import IncomingMessage, UserRef
from telegemini.core.offers import (
    CURRENCY,
    PREMIUM_DAYS,
    Offer,
    OfferKind,
    Payment,
    PaymentRefused,
    PreCheckout,
    parse_payload,
)
from telegemini.core.ports import Checkout
from telegemini.core.shop import Shop
from telegemini.errors import StorageError
from telegemini.tg.render import TelegramChatOutput

log = logging.getLogger(__name__)

PRE_CHECKOUT_BUDGET = 7.0  # seconds to decide; Telegram gives up on an answer after 10
CREDIT_RETRIES = (1.0, 2.0, 4.0)  # seconds between attempts while the database is away


class TelegramCheckout:
    """``Checkout`` on the Bot API."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def offer(
        self, chat_id: int, offer: Offer, *, title: str, description: str, button: str
    ) -> None:
        prices = [LabeledPrice(label=title, amount=offer.stars)]
        if offer.kind is OfferKind.PREMIUM:
            link = await self._bot.create_invoice_link(
                title=title,
                description=description,
                payload=offer.payload,
                currency=CURRENCY,
                prices=prices,
                provider_token="",
                subscription_period=PREMIUM_DAYS * 24 * 3600,
            )
            keyboard = InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text=button, url=link)]]
            )
            await self._bot.send_message(
                chat_id, f"{title}\n\n{description}", reply_markup=keyboard, parse_mode=None
            )
            return
        await self._bot.send_invoice(
            chat_id,
            title=title,
            description=description,
            payload=offer.payload,
            currency=CURRENCY,
            prices=prices,
            provider_token="",
        )

    async def answer_pre_checkout(self, query_id: str, *, refusal: str | None) -> None:
        await self._bot.answer_pre_checkout_query(
            pre_checkout_query_id=query_id, ok=refusal is None, error_message=refusal
        )

    async def refund(self, user_id: int, charge_id: str) -> None:
        try:
            await self._bot.refund_star_payment(
                user_id=user_id, telegram_payment_charge_id=charge_id
            )
        except TelegramBadRequest as exc:
            raise PaymentRefused(exc.message) from exc

    async def cancel_subscription(self, user_id: int, charge_id: str) -> None:
        try:
            await self._bot.edit_user_star_subscription(
                user_id=user_id, telegram_payment_charge_id=charge_id, is_canceled=True
            )
        except TelegramBadRequest as exc:
            raise PaymentRefused(exc.message) from exc


def payment_router(shop: Shop, checkout: Checkout) -> Router:
    """The payments router: every payment update goes to the shop, whether or not Stars are
    sold today (a payment made is always credited; a pre-checkout is refused while off)."""
    router = Router(name="payment-updates")

    async def pre_checkout(query: PreCheckoutQuery) -> None:
        user = query.from_user
        asked = PreCheckout(
            query.id,
            user.id,
            user.language_code,
            query.currency,
            query.total_amount,
            query.invoice_payload,
        )
        try:
            async with asyncio.timeout(PRE_CHECKOUT_BUDGET):
                refusal = await shop.pre_checkout(asked)
        except (TimeoutError, StorageError) as exc:
            log.warning("pre-checkout %s refused: could not decide in time (%s)", query.id, exc)
            refusal = Translator(resolve_language(user.language_code))("shop.refuse_busy")
        await checkout.answer_pre_checkout(query.id, refusal=refusal)

    async def paid(message: Message, incoming: IncomingMessage, out: TelegramChatOutput) -> None:
        payment = message.successful_payment
        assert payment is not None
        offer = parse_payload(payment.invoice_payload)
        if offer is None or payment.currency != CURRENCY:
            await shop.unknown_payment(incoming.user, payment.invoice_payload, out)
            return
        credit = Payment(
            charge_id=payment.telegram_payment_charge_id,
            user_id=incoming.user.id,
            stars=payment.total_amount,
            offer=offer,
            paid_at=message.date.timestamp(),
            recurring=bool(payment.is_recurring) and not payment.is_first_recurring,
        )
        for pause in (*CREDIT_RETRIES, None):
            try:
                await shop.paid(credit, incoming.user, out)
                return
            except StorageError:
                if pause is None:
                    log.exception("payment %s NOT credited: credit it by hand", credit.charge_id)
                    raise
                log.warning("payment %s: database away, retrying", credit.charge_id)
                await asyncio.sleep(pause)

    async def refunded(message: Message, incoming: IncomingMessage) -> None:
        """Telegram refunded a payment (a dispute, or our own /refund): taken back once."""
        refund = message.refunded_payment
        assert refund is not None
        await shop.refunded_elsewhere(incoming.user, refund.telegram_payment_charge_id)

    async def subscription(event: BotSubscriptionUpdated) -> None:
        user = event.user
        who = UserRef(user.id, user.first_name, user.username, user.language_code)
        await shop.subscription_changed(who, event.invoice_payload, event.state)

    router.pre_checkout_query.register(pre_checkout)
    router.message.register(paid, Has("successful_payment"))
    router.message.register(refunded, Has("refunded_payment"))
    router.subscription.register(subscription)
    return router


class Has(Filter):
    """Messages that carry ``field``. (aiogram runs a synchronous filter such as ``F.field``
    in a worker thread: two thread trips for every message that passes this router.)"""

    def __init__(self, field: str) -> None:
        self._field = field

    async def __call__(self, message: Message) -> bool:
        return getattr(message, self._field, None) is not None
