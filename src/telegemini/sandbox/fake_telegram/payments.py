"""Telegram Stars in the fake Bot API: ``sendInvoice``, ``createInvoiceLink`` (one-off or a
subscription), ``answerPreCheckoutQuery`` (within 10 s of the query, on ``server.clock``),
``refundStarPayment``, ``getStarTransactions``, ``editUserStarSubscription``; and what users
do: pay an invoice (``pay``: a ``pre_checkout_query``, then, when the bot says yes, the
``successful_payment`` message), renewals, and ``subscription`` updates.

Rules checked as Telegram does (texts marked *(fake)* are chosen for tests): ``XTR`` needs an
empty ``provider_token`` and exactly one price; a subscription period is 2592000 s only, in
``XTR``; titles 1-32 characters, descriptions 1-255, payloads 1-128 bytes. A refused
pre-checkout or one answered late charges nothing.
"""

from __future__ import annotations

import copy
from typing import Any

from .api_core import Handler
from .common import reply_markup, sendable_chat
from .ledger import FakeCharge, FakeCheckout, FakeInvoice
from .models import ApiError, FakeUser, as_int
from .params import Context
from .sending import QUERY_INVALID, post, send_target
from .state import FakeState, now

SUBSCRIPTION_PERIOD = 2592000
MAX_STARS = 10000


def _invoice(ctx: Context, slug: str) -> FakeInvoice:
    params = ctx.params
    title = params.string("title") or ""
    description = params.string("description") or ""
    payload = params.string("payload") or ""
    currency = params.string("currency") or ""
    if not 1 <= len(title) <= 32:
        raise ApiError.bad_request("INVOICE_TITLE_EMPTY" if not title else "title is too long")
    if not 1 <= len(description) <= 255:
        raise ApiError.bad_request("INVOICE_DESCRIPTION_EMPTY")
    if not 1 <= len(payload.encode()) <= 128:
        raise ApiError.bad_request("INVOICE_PAYLOAD_INVALID")
    prices = params.json("prices", "prices")
    if not isinstance(prices, list) or not prices:
        raise ApiError.bad_request("can't parse prices JSON object")
    if currency == "XTR":
        if params.string("provider_token"):
            raise ApiError.bad_request("PROVIDER_TOKEN_INVALID")  # (fake) Stars need none
        if len(prices) != 1:
            raise ApiError.bad_request("STARS_INVOICE_INVALID")  # (fake)
    amount = sum(as_int(p.get("amount")) or 0 for p in prices if isinstance(p, dict))
    if not 1 <= amount <= MAX_STARS and currency == "XTR":
        raise ApiError.bad_request("STARS_INVOICE_INVALID")
    period = params.integer("subscription_period")
    if period is not None and (period != SUBSCRIPTION_PERIOD or currency != "XTR"):
        raise ApiError.bad_request("SUBSCRIPTION_PERIOD_INVALID")
    return FakeInvoice(slug, title, description, payload, currency, amount, period)


async def send_invoice(ctx: Context) -> Any:
    """An invoice message in the chat; Telegram's own Pay button goes with it."""
    chat = sendable_chat(ctx)
    state = ctx.state
    invoice = _invoice(ctx, f"inv{state.serial()}")
    if invoice.subscription_period is not None:
        raise ApiError.bad_request("SUBSCRIPTION_PERIOD_INVALID")  # links only
    content = {
        "invoice": {
            "title": invoice.title,
            "description": invoice.description,
            "start_parameter": ctx.params.string("start_parameter") or "",
            "currency": invoice.currency,
            "total_amount": invoice.amount,
        },
        "_invoice_slug": invoice.slug,
    }
    message = post(ctx, chat, send_target(ctx, chat), content, reply_markup(ctx))
    invoice.chat_id, invoice.message_id = int(chat.chat["id"]), int(message["message_id"])
    state.payments.invoices[invoice.slug] = invoice
    return message


async def create_invoice_link(ctx: Context) -> Any:
    """A link to Telegram's payment sheet: ``https://t.me/$<slug>``."""
    state = ctx.state
    invoice = _invoice(ctx, f"inv{state.serial()}")
    invoice.link = f"https://t.me/${invoice.slug}"
    state.payments.invoices[invoice.slug] = invoice
    state.emit("invoice_link", None, invoice.link)
    return invoice.link


async def answer_pre_checkout_query(ctx: Context) -> Any:
    """Yes (the payment is made and ``successful_payment`` delivered) or no with a reason;
    10 s after the query it is too late."""
    state = ctx.state
    query_id = ctx.params.string("pre_checkout_query_id") or ""
    checkout = state.payments.checkouts.get(query_id)
    if checkout is None or checkout.answered:
        raise ApiError.bad_request(QUERY_INVALID)
    if state.clock() - checkout.at > state.payments.deadline:
        checkout.answered = True
        raise ApiError.bad_request(QUERY_INVALID)
    ok = ctx.params.flag("ok")
    error = ctx.params.string("error_message")
    if not ok and not error:
        raise ApiError.bad_request("ERROR_MESSAGE_EMPTY")  # (fake) a refusal needs a reason
    checkout.answered, checkout.ok, checkout.error_message = True, ok, error
    state.emit("pre_checkout_answer", checkout.user["id"], copy.deepcopy(checkout.__dict__))
    if ok:
        charge = new_charge(state, checkout.user, checkout.invoice, first=True)
        checkout.charge_id = charge.charge_id
        deliver_payment(state, charge)
    return True


async def refund_star_payment(ctx: Context) -> Any:
    state = ctx.state
    user_id = ctx.params.integer("user_id")
    charge = state.payments.charges.get(ctx.params.string("telegram_payment_charge_id") or "")
    if charge is None or charge.user["id"] != user_id:
        raise ApiError.bad_request("CHARGE_NOT_FOUND")  # (fake)
    if charge.refunded:
        raise ApiError.bad_request("CHARGE_ALREADY_REFUNDED")
    charge.refunded = True
    refunded = {
        "currency": "XTR",
        "total_amount": charge.invoice.amount,
        "invoice_payload": charge.invoice.payload,
        "telegram_payment_charge_id": charge.charge_id,
    }
    _user_service_message(state, charge.user, {"refunded_payment": refunded})
    return True


async def edit_user_star_subscription(ctx: Context) -> Any:
    state = ctx.state
    user_id = ctx.params.integer("user_id")
    charge = state.payments.charges.get(ctx.params.string("telegram_payment_charge_id") or "")
    if charge is None or charge.user["id"] != user_id or not charge.recurring:
        raise ApiError.bad_request("CHARGE_ID_INVALID")  # (fake)
    for other in state.payments.charges.values():  # the whole subscription
        if other.user["id"] == user_id and other.invoice.payload == charge.invoice.payload:
            other.canceled = ctx.params.flag("is_canceled")
    return True


async def get_star_transactions(ctx: Context) -> Any:
    """Payments in (from users) and refunds out, newest first."""
    transactions: list[dict[str, Any]] = []
    for charge in ctx.state.payments.charges.values():
        partner: dict[str, Any] = {
            "type": "user",
            "transaction_type": "invoice_payment",
            "user": copy.deepcopy(charge.user),
            "invoice_payload": charge.invoice.payload,
        }
        if charge.invoice.subscription_period:
            partner["subscription_period"] = charge.invoice.subscription_period
        entry = {"id": charge.charge_id, "amount": charge.invoice.amount, "date": charge.date}
        transactions.append({**entry, "source": partner})
        if charge.refunded:
            transactions.append({**entry, "receiver": partner})
    transactions.sort(key=lambda t: t["date"], reverse=True)
    offset = max(ctx.params.integer("offset") or 0, 0)
    limit = min(max(ctx.params.integer("limit") or 100, 1), 100)
    return {"transactions": transactions[offset : offset + limit]}


HANDLERS: dict[str, Handler] = {
    "sendinvoice": send_invoice,
    "createinvoicelink": create_invoice_link,
    "answerprecheckoutquery": answer_pre_checkout_query,
    "refundstarpayment": refund_star_payment,
    "edituserstarsubscription": edit_user_star_subscription,
    "getstartransactions": get_star_transactions,
}


# --- what users do ------------------------------------------------------------------------------


def new_charge(
    state: FakeState, user: dict[str, Any], invoice: FakeInvoice, *, first: bool
) -> FakeCharge:
    period = invoice.subscription_period
    date = now()
    charge = FakeCharge(
        charge_id=f"stxFAKE{state.serial():06d}",
        user=copy.deepcopy(user),
        invoice=invoice,
        date=date,
        recurring=period is not None,
        first_recurring=period is not None and first,
        subscription_expiration_date=date + period if period else None,
    )
    state.payments.charges[charge.charge_id] = charge
    return charge


def payment_of(charge: FakeCharge) -> dict[str, Any]:
    """The ``successful_payment`` object of a charge."""
    invoice = charge.invoice
    paid: dict[str, Any] = {
        "currency": invoice.currency,
        "total_amount": invoice.amount,
        "invoice_payload": invoice.payload,
        "telegram_payment_charge_id": charge.charge_id,
        "provider_payment_charge_id": "",
    }
    if charge.recurring:
        paid["is_recurring"] = True
        paid["subscription_expiration_date"] = charge.subscription_expiration_date
        if charge.first_recurring:
            paid["is_first_recurring"] = True
    return paid


def deliver_payment(state: FakeState, charge: FakeCharge) -> dict[str, Any]:
    return _user_service_message(state, charge.user, {"successful_payment": payment_of(charge)})


def _user_service_message(
    state: FakeState, user: dict[str, Any], content: dict[str, Any]
) -> dict[str, Any]:
    private = {"id": user["id"], "type": "private", "first_name": user.get("first_name", "")}
    if user.get("username"):
        private["username"] = user["username"]
    chat = state.ensure_chat(private)
    message = state.add_message(chat, content, sender=user)
    return state.deliver({"message": message})


class PaymentActions:
    """Mixin of ``FakeTelegramServer``: users paying in Telegram Stars."""

    _state: FakeState

    def invoices(self) -> list[FakeInvoice]:
        """Every invoice the bot made, oldest first (messages and links)."""
        return list(self._state.payments.invoices.values())

    def find_invoice(self, ref: str | dict[str, Any]) -> FakeInvoice:
        """An invoice by link (``https://t.me/$…``), slug, or invoice message."""
        ledger = self._state.payments
        if isinstance(ref, dict):
            slug = str(ref.get("_invoice_slug") or "")
        else:
            slug = ref.rsplit("$", 1)[-1]
        invoice = ledger.invoices.get(slug)
        if invoice is None:
            raise ValueError(f"no invoice {ref!r}")
        return invoice

    def pay(self, user: FakeUser, invoice: str | dict[str, Any] | FakeInvoice) -> FakeCheckout:
        """The user presses Pay: a ``pre_checkout_query`` goes to the bot; when it answers
        yes in time, the payment is made and ``successful_payment`` delivered."""
        state = self._state
        found = invoice if isinstance(invoice, FakeInvoice) else self.find_invoice(invoice)
        state.users[user.id] = user.to_api()
        query_id = f"pcq{state.serial()}"
        checkout = FakeCheckout(query_id, user.to_api(), found, state.clock())
        state.payments.checkouts[query_id] = checkout
        state.deliver(
            {
                "pre_checkout_query": {
                    "id": query_id,
                    "from": user.to_api(),
                    "currency": found.currency,
                    "total_amount": found.amount,
                    "invoice_payload": found.payload,
                }
            }
        )
        return checkout

    def checkout(self, query_id: str) -> FakeCheckout:
        return self._state.payments.checkouts[query_id]

    def charges(self, user: FakeUser | None = None) -> list[FakeCharge]:
        return [
            c
            for c in self._state.payments.charges.values()
            if user is None or c.user["id"] == user.id
        ]

    def deliver_payment(self, charge: FakeCharge) -> dict[str, Any]:
        """``successful_payment`` for an existing charge again (Telegram redelivering it)."""
        return deliver_payment(self._state, charge)

    def renew(self, charge: FakeCharge) -> FakeCharge:
        """Telegram renews the subscription ``charge`` belongs to: a new recurring charge."""
        if not charge.recurring:
            raise ValueError(f"{charge.charge_id} is not a subscription payment")
        renewal = new_charge(self._state, charge.user, charge.invoice, first=False)
        deliver_payment(self._state, renewal)
        return renewal

    def update_subscription(
        self, user: FakeUser, payload: str, state: str = "canceled"
    ) -> dict[str, Any]:
        """A ``subscription`` update (Bot API 10.2): ``canceled``, ``failed`` or ``active``."""
        if state not in ("canceled", "failed", "active"):
            raise ValueError(f"unknown subscription state {state!r}")
        self._state.users[user.id] = user.to_api()
        return self._state.deliver(
            {"subscription": {"user": user.to_api(), "invoice_payload": payload, "state": state}}
        )
