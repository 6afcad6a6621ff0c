"""``PaymentStore`` on SQLAlchemy (SQLite or PostgreSQL): each operation is one transaction.

Crediting inserts the payment keyed by ``telegram_payment_charge_id`` first
(``ON CONFLICT DO NOTHING``): the second delivery of a payment, on this instance or another,
inserts nothing and so changes nothing. On PostgreSQL a concurrent second insert waits for the
first transaction and then finds the row.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from telegemini.core.offers import (
    Credited,
    OfferKind,
    Payment,
    PaymentRecord,
    Refunded,
    SubscriptionState,
)
from telegemini.storage import database
from telegemini.storage.tables import image_packs, payments, subscriptions, users
from telegemini.storage.times import epoch

T = TypeVar("T")
DAY = 86400.0


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _record(row: Any) -> PaymentRecord:
    return PaymentRecord(
        charge_id=row.charge_id,
        user_id=int(row.user_id),
        kind=OfferKind(row.kind),
        stars=int(row.stars),
        images=int(row.images),
        paid_at=epoch(row.paid_at),
        refunded=row.refunded_at is not None,
    )


class SqlPayments:
    """Payments beside a ``SqlStore`` on the same engine; ``forget_user`` drops the store's
    cached user whose Premium changed, so this instance sees it at once."""

    def __init__(self, engine: AsyncEngine, forget_user: Callable[[int], None]) -> None:
        self._engine = engine
        self._forget = forget_user
        dialect = engine.dialect.name
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert

    async def _run(self, work: Callable[[Connection], T]) -> T:
        return await database.run(self._engine, work)

    def _premium_until(self, conn: Connection, user_id: int) -> float | None:
        value = conn.execute(
            select(users.c.premium_until).where(users.c.id == user_id).with_for_update()
        ).scalar()
        return epoch(value) if value is not None else None

    def _pack_left(self, conn: Connection, user_id: int) -> int:
        value = conn.execute(
            select(image_packs.c.images_left).where(image_packs.c.user_id == user_id)
        ).scalar()
        return int(value or 0)

    async def credit(self, payment: Payment, *, days: int) -> Credited | None:
        offer = payment.offer
        now = datetime.now(UTC)

        def credit(conn: Connection) -> Credited | None:
            inserted = conn.execute(
                self._insert(payments)
                .values(
                    charge_id=payment.charge_id,
                    user_id=payment.user_id,
                    kind=offer.kind.value,
                    stars=payment.stars,
                    images=offer.images,
                    payload=offer.payload,
                    recurring=payment.recurring,
                    paid_at=_dt(payment.paid_at),
                )
                .on_conflict_do_nothing(index_elements=["charge_id"])
                .returning(payments.c.charge_id)
            ).first()
            if inserted is None:
                return None  # credited before
            user_id = payment.user_id
            conn.execute(
                self._insert(users)
                .values(id=user_id, first_name="", created_at=now, seen_at=now)
                .on_conflict_do_nothing(index_elements=["id"])
            )
            until = self._premium_until(conn, user_id)
            if offer.kind is OfferKind.PREMIUM:
                until = max(until or 0.0, payment.paid_at) + days * DAY
                conn.execute(
                    update(users).where(users.c.id == user_id).values(premium_until=_dt(until))
                )
                state = {
                    "state": SubscriptionState.ACTIVE.value,
                    "charge_id": payment.charge_id,
                    "updated_at": now,
                }
                conn.execute(
                    self._insert(subscriptions)
                    .values(user_id=user_id, **state)
                    .on_conflict_do_update(index_elements=["user_id"], set_=state)
                )
                left = self._pack_left(conn, user_id)
            else:
                left = int(
                    conn.execute(
                        self._insert(image_packs)
                        .values(user_id=user_id, images_left=offer.images)
                        .on_conflict_do_update(
                            index_elements=["user_id"],
                            set_={"images_left": image_packs.c.images_left + offer.images},
                        )
                        .returning(image_packs.c.images_left)
                    ).scalar_one()
                )
            return Credited(until, left)

        credited = await self._run(credit)
        self._forget(payment.user_id)
        return credited

    async def set_subscription(self, user_id: int, state: SubscriptionState) -> float | None:
        def change(conn: Connection) -> float | None:
            changed = conn.execute(
                update(subscriptions)
                .where(subscriptions.c.user_id == user_id)
                .values(state=state.value, updated_at=datetime.now(UTC))
            ).rowcount
            return self._premium_until(conn, user_id) if changed else None

        return await self._run(change)

    async def pack_left(self, user_id: int) -> int:
        return await self._run(lambda conn: self._pack_left(conn, user_id))

    async def take_pack(self, user_id: int, amount: int) -> bool:
        if amount <= 0:
            return True
        statement = (
            update(image_packs)
            .where(image_packs.c.user_id == user_id, image_packs.c.images_left >= amount)
            .values(images_left=image_packs.c.images_left - amount)
        )
        return await self._run(lambda conn: conn.execute(statement).rowcount == 1)

    async def return_pack(self, user_id: int, amount: int) -> None:
        statement = (
            self._insert(image_packs)
            .values(user_id=user_id, images_left=amount)
            .on_conflict_do_update(
                index_elements=["user_id"],
                set_={"images_left": image_packs.c.images_left + amount},
            )
        )
        await self._run(lambda conn: conn.execute(statement))

    async def payments_of(self, user_id: int) -> list[PaymentRecord]:
        statement = (
            select(payments)
            .where(payments.c.user_id == user_id)
            .order_by(payments.c.paid_at.desc(), payments.c.charge_id)
        )
        return await self._run(lambda conn: [_record(r) for r in conn.execute(statement)])

    async def refund(self, charge_id: str, *, days: int, now: float) -> Refunded | None:
        def take_back(conn: Connection) -> Refunded | None:
            row = conn.execute(
                update(payments)
                .where(payments.c.charge_id == charge_id, payments.c.refunded_at.is_(None))
                .values(refunded_at=_dt(now))
                .returning(*payments.c)
            ).first()
            if row is None:
                return None
            record = _record(row)
            if record.kind is OfferKind.PREMIUM:
                until = max(now, (self._premium_until(conn, record.user_id) or now) - days * DAY)
                conn.execute(
                    update(users)
                    .where(users.c.id == record.user_id)
                    .values(premium_until=_dt(until))
                )
                values: dict[str, Any] = {"state": SubscriptionState.CANCELED.value}
                if until <= now:  # ended by the refund: the refund's message says so
                    values["ended_told"] = _dt(until)
                conn.execute(
                    update(subscriptions)
                    .where(subscriptions.c.user_id == record.user_id)
                    .values(**values)
                )
                return Refunded(record, until, 0)
            taken = min(self._pack_left(conn, record.user_id), record.images)
            conn.execute(
                update(image_packs)
                .where(image_packs.c.user_id == record.user_id)
                .values(images_left=image_packs.c.images_left - taken)
            )
            return Refunded(record, None, taken)

        refunded = await self._run(take_back)
        if refunded is not None:
            self._forget(refunded.record.user_id)
        return refunded

    async def payments_since(self, since: float) -> list[PaymentRecord]:
        statement = (
            select(payments).where(payments.c.paid_at >= _dt(since)).order_by(payments.c.paid_at)
        )
        return await self._run(lambda conn: [_record(r) for r in conn.execute(statement)])

    async def active_subscriptions(self, now: float) -> int:
        statement = (
            select(func.count())
            .select_from(subscriptions.join(users, users.c.id == subscriptions.c.user_id))
            .where(
                subscriptions.c.state == SubscriptionState.ACTIVE.value,
                users.c.premium_until > _dt(now),
            )
        )
        return await self._run(lambda conn: int(conn.execute(statement).scalar_one()))

    async def take_ended(self, now: float, *, grace: float) -> list[int]:
        due = (
            select(subscriptions.c.user_id, subscriptions.c.state, users.c.premium_until)
            .select_from(subscriptions.join(users, users.c.id == subscriptions.c.user_id))
            .where(
                users.c.premium_until <= _dt(now),
                or_(
                    subscriptions.c.ended_told.is_(None),
                    subscriptions.c.ended_told < users.c.premium_until,
                ),
            )
        )

        def take(conn: Connection) -> list[int]:
            ended = []
            for row in conn.execute(due).all():
                renewing = row.state == SubscriptionState.ACTIVE.value
                if renewing and epoch(row.premium_until) > now - grace:
                    continue  # the renewal may still come
                claimed = conn.execute(
                    update(subscriptions)
                    .where(
                        subscriptions.c.user_id == row.user_id,
                        or_(
                            subscriptions.c.ended_told.is_(None),
                            subscriptions.c.ended_told < row.premium_until,
                        ),
                    )
                    .values(ended_told=row.premium_until)
                ).rowcount
                if claimed == 1:
                    ended.append(int(row.user_id))
            return ended

        return await self._run(take)


__all__ = ["SqlPayments"]
