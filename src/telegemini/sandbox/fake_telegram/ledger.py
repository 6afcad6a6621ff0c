"""What the fake Bot API remembers about Telegram Stars: invoices, pre-checkout queries waiting
for the bot's answer, and charges (payments, renewals, refunds, cancelled subscriptions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PRE_CHECKOUT_DEADLINE = 10.0  # seconds Telegram waits for answerPreCheckoutQuery


@dataclass
class FakeInvoice:
    """An invoice the bot sent (``sendInvoice``) or made a link for (``createInvoiceLink``)."""

    slug: str
    title: str
    description: str
    payload: str
    currency: str
    amount: int
    subscription_period: int | None = None
    chat_id: int | None = None  # sendInvoice: where the invoice message is
    message_id: int | None = None
    link: str | None = None  # createInvoiceLink: https://t.me/$<slug>


@dataclass
class FakeCheckout:
    """A ``pre_checkout_query`` delivered to the bot; ``at`` on the fake's clock."""

    query_id: str
    user: dict[str, Any]
    invoice: FakeInvoice
    at: float
    answered: bool = False
    ok: bool | None = None
    error_message: str | None = None
    charge_id: str | None = None  # the payment made once the bot said yes


@dataclass
class FakeCharge:
    """A Stars payment: a first payment, or a subscription's renewal."""

    charge_id: str
    user: dict[str, Any]
    invoice: FakeInvoice
    date: int
    recurring: bool = False  # a subscription's payment
    first_recurring: bool = False
    refunded: bool = False
    canceled: bool = False  # the subscription it belongs to was cancelled by the bot
    subscription_expiration_date: int | None = None


@dataclass
class PaymentLedger:
    invoices: dict[str, FakeInvoice] = field(default_factory=dict)
    checkouts: dict[str, FakeCheckout] = field(default_factory=dict)
    charges: dict[str, FakeCharge] = field(default_factory=dict)
    deadline: float = PRE_CHECKOUT_DEADLINE
