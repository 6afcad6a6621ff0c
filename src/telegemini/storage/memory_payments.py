"""``PaymentStore`` in process memory, beside a ``MemoryStore`` (whose users it updates): for
unit tests and throwaway runs."""

from __future__ import annotations

from dataclasses import dataclass, replace

from telegemini.core.models import UserRecord
from telegemini.core.offers import (
    Credited,
    OfferKind,
    Payment,
    PaymentRecord,
    Refunded,
    SubscriptionState,
)
from telegemini.storage.memory import MemoryStore

DAY = 86400.0


@dataclass
class _Subscription:
    state: SubscriptionState
    charge_id: str
    ended_told: float | None = None


class MemoryPayments:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.records: dict[str, PaymentRecord] = {}
        self.packs: dict[int, int] = {}
        self.subscriptions: dict[int, _Subscription] = {}

    def _user(self, user_id: int) -> UserRecord:
        return self._store.users.get(user_id) or UserRecord(id=user_id)

    async def credit(self, payment: Payment, *, days: int) -> Credited | None:
        if payment.charge_id in self.records:
            return None
        offer = payment.offer
        self.records[payment.charge_id] = PaymentRecord(
            payment.charge_id,
            payment.user_id,
            offer.kind,
            payment.stars,
            offer.images,
            payment.paid_at,
        )
        user = self._user(payment.user_id)
        if offer.kind is OfferKind.PREMIUM:
            start = max(user.premium_until or 0.0, payment.paid_at)
            user = replace(user, premium_until=start + days * DAY)
            self._store.users[user.id] = user
            self.subscriptions[user.id] = _Subscription(SubscriptionState.ACTIVE, payment.charge_id)
        else:
            self.packs[user.id] = self.packs.get(user.id, 0) + offer.images
        return Credited(user.premium_until, self.packs.get(user.id, 0))

    async def set_subscription(self, user_id: int, state: SubscriptionState) -> float | None:
        subscription = self.subscriptions.get(user_id)
        if subscription is None:
            return None
        subscription.state = state
        return self._user(user_id).premium_until

    async def pack_left(self, user_id: int) -> int:
        return self.packs.get(user_id, 0)

    async def take_pack(self, user_id: int, amount: int) -> bool:
        if self.packs.get(user_id, 0) < amount:
            return False
        self.packs[user_id] = self.packs.get(user_id, 0) - amount
        return True

    async def return_pack(self, user_id: int, amount: int) -> None:
        self.packs[user_id] = self.packs.get(user_id, 0) + amount

    async def payments_of(self, user_id: int) -> list[PaymentRecord]:
        mine = [r for r in self.records.values() if r.user_id == user_id]
        return sorted(mine, key=lambda r: r.paid_at, reverse=True)

    async def refund(self, charge_id: str, *, days: int, now: float) -> Refunded | None:
        record = self.records.get(charge_id)
        if record is None or record.refunded:
            return None
        self.records[charge_id] = replace(record, refunded=True)
        user = self._user(record.user_id)
        if record.kind is OfferKind.PREMIUM:
            until = max(now, (user.premium_until or now) - days * DAY)
            self._store.users[user.id] = replace(user, premium_until=until)
            subscription = self.subscriptions.get(user.id)
            if subscription is not None:
                subscription.state = SubscriptionState.CANCELED
                subscription.ended_told = until if until <= now else subscription.ended_told
            return Refunded(record, until, 0)
        taken = min(self.packs.get(user.id, 0), record.images)
        self.packs[user.id] = self.packs.get(user.id, 0) - taken
        return Refunded(record, None, taken)

    async def payments_since(self, since: float) -> list[PaymentRecord]:
        return sorted(
            (r for r in self.records.values() if r.paid_at >= since), key=lambda r: r.paid_at
        )

    async def active_subscriptions(self, now: float) -> int:
        return sum(
            1
            for user_id, subscription in self.subscriptions.items()
            if subscription.state is SubscriptionState.ACTIVE
            and (self._user(user_id).premium_until or 0.0) > now
        )

    async def take_ended(self, now: float, *, grace: float) -> list[int]:
        ended = []
        for user_id, subscription in self.subscriptions.items():
            until = self._user(user_id).premium_until
            if until is None or until > now:
                continue
            if subscription.state is SubscriptionState.ACTIVE and until > now - grace:
                continue  # a renewal may still come
            if subscription.ended_told is not None and subscription.ended_told >= until:
                continue
            subscription.ended_told = until
            ended.append(user_id)
        return ended
