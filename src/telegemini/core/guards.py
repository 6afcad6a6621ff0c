"""What an operator needs before sharing the bot: who may use it, how much, how fast.

Every check here runs before any billable model call. Quota counters are atomic in the store and
rate buckets atomic in the rate limiter, so several instances sharing PostgreSQL and Redis can
never let a user past a limit.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from telegemini.core.i18n import Duration
from telegemini.core.models import QUOTA_KINDS, LimitKey, Tier, UserRecord
from telegemini.core.offers import PACK_KINDS
from telegemini.core.ports import NoObserver, Observer, PaymentStore, RateLimiter, Store
from telegemini.errors import StorageError, UserFacingError

log = logging.getLogger(__name__)

DEFAULT_QUOTAS: dict[Tier, dict[str, int]] = {
    Tier.FREE: {"messages": 200, "voice": 50, "images": 10, "hd_images": 2, "videos": 1},
    Tier.PREMIUM: {"messages": 2000, "voice": 500, "images": 100, "hd_images": 20, "videos": 10},
    Tier.UNLIMITED: {"messages": -1, "voice": -1, "images": -1, "hd_images": -1, "videos": -1},
}


@dataclass(frozen=True, slots=True)
class RateRule:
    """A token bucket: ``burst`` requests at once, refilled at ``per_minute``."""

    per_minute: float
    burst: int


DEFAULT_RATES: dict[str, RateRule] = {
    "messages": RateRule(per_minute=20, burst=8),
    "voice": RateRule(per_minute=10, burst=4),
    "images": RateRule(per_minute=6, burst=2),  # at most one image every 10 s, sustained
    "hd_images": RateRule(per_minute=2, burst=1),
    "videos": RateRule(per_minute=1, burst=1),  # one clip a minute, sustained
}


class QuotaExceeded(UserFacingError):
    message_key = "quota.exceeded"

    def __init__(self, kind: str, *, limit: int, resets: str) -> None:
        super().__init__(f"{kind} limit {limit}")
        self.kind = kind
        self.limit = limit
        self.resets = resets
        self.message_key = f"quota.exceeded_{kind}"

    def message_args(self) -> dict[str, object]:
        return {"kind": self.kind, "limit": self.limit, "resets": self.resets}


class RateLimited(UserFacingError):
    message_key = "rate.wait"

    def __init__(self, kind: str, *, retry_after: float) -> None:
        super().__init__(f"{kind} rate")
        self.kind = kind
        self.retry_after = retry_after

    def message_args(self) -> dict[str, object]:
        return {"duration": Duration(max(1, round(self.retry_after + 0.49)))}


class StillWorking(UserFacingError):
    """One image at a time per user."""

    message_key = "rate.busy"


@dataclass(frozen=True, slots=True)
class GuardConfig:
    admins: frozenset[int] = frozenset()
    allowed_users: frozenset[int] = frozenset()
    allowed_chats: frozenset[int] = frozenset()
    quotas: Mapping[Tier, Mapping[str, int]] = field(default_factory=lambda: DEFAULT_QUOTAS)
    rates: Mapping[str, RateRule] = field(default_factory=lambda: DEFAULT_RATES)
    timezone: tzinfo = field(default_factory=lambda: ZoneInfo("UTC"))


class Guard:
    """Access, tiers, quotas and rates for one bot."""

    def __init__(
        self,
        store: Store,
        limiter: RateLimiter,
        config: GuardConfig | None = None,
        clock: Callable[[], float] = time.time,
        observer: Observer | None = None,
        payments: PaymentStore | None = None,
    ) -> None:
        self._store = store
        self._limiter = limiter
        self.payments = payments  # image packs, used once a day's images are spent
        self._observer = observer or NoObserver()
        self.config = config or GuardConfig()
        self._clock = clock

    # --- who --------------------------------------------------------------------------------

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.config.admins

    def allows(self, user: UserRecord, chat_id: int) -> bool:
        """Admins always; otherwise anyone when no list is set, else users or chats on a list
        (or let in with /allow)."""
        config = self.config
        if self.is_admin(user.id) or user.allowed:
            return True
        if not config.allowed_users and not config.allowed_chats:
            return True
        return user.id in config.allowed_users or chat_id in config.allowed_chats

    def tier(self, user: UserRecord) -> Tier:
        """Admins are unlimited; an admin's /tier wins over a purchase; bought Premium lasts
        until its end."""
        if self.is_admin(user.id):
            return Tier.UNLIMITED
        if user.tier_pinned or user.tier is not Tier.FREE:
            return user.tier
        if user.premium_until is not None and user.premium_until > self._clock():
            return Tier.PREMIUM
        return user.tier

    def limit(self, user: UserRecord, kind: str) -> int | None:
        """Today's limit of ``kind`` for ``user``; None when unlimited."""
        value = self.config.quotas.get(self.tier(user), {}).get(kind, -1)
        return None if value < 0 else value

    # --- when -------------------------------------------------------------------------------

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), self.config.timezone)

    def day(self) -> str:
        # Interned: the day is part of keys kept per user (the active-day marks), one copy each.
        return sys.intern(self.now().date().isoformat())

    def resets_at(self) -> datetime:
        """The next midnight in the quota time zone."""
        now = self.now()
        tomorrow = (now + timedelta(days=1)).date()
        return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=self.config.timezone)

    def resets_text(self) -> str:
        at = self.resets_at()
        return f"{at:%H:%M} {at.tzname() or ''}".strip()

    # --- how much ---------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def billed(self, user: UserRecord, kind: str, amount: int = 1) -> AsyncIterator[Bill]:
        """Take ``amount`` units of today's ``kind`` for the block; they are given back if the
        block fails (a model error, a safety block), or in part with ``Bill.refund``."""
        bill = await self.charge(user, kind, amount)
        try:
            yield bill
        except BaseException:
            await bill.refund()
            raise

    async def charge(self, user: UserRecord, kind: str, amount: int = 1) -> Bill:
        limit = self.limit(user, kind)
        day = self.day()
        if not await self._store.consume_quota(user.id, day, kind, amount=amount, limit=limit):
            packed = await self._from_packs(user, kind, amount, limit, day)
            if packed is not None:
                return packed
            await self._store.count(day, user.id, "quota_denied")
            self._observer.quota_denied(kind)
            assert limit is not None
            raise QuotaExceeded(kind, limit=limit, resets=self.resets_text())
        return Bill(self._store, user.id, day, kind, amount)

    async def _from_packs(
        self, user: UserRecord, kind: str, amount: int, limit: int | None, day: str
    ) -> Bill | None:
        """What is left of today's quota, the rest from the user's image packs (None when the
        packs hold too few)."""
        payments = self.payments
        if payments is None or kind not in PACK_KINDS or limit is None:
            return None
        used = (await self._store.quota_usage(user.id, day)).get(kind, 0)
        quota = max(0, min(amount, limit - used))
        if quota and not await self._store.consume_quota(
            user.id, day, kind, amount=quota, limit=limit
        ):
            quota = 0  # taken meanwhile by another request
        if not await payments.take_pack(user.id, amount - quota):
            if quota:
                await self._store.refund_quota(user.id, day, kind, amount=quota)
            return None
        return Bill(
            self._store, user.id, day, kind, quota, packs=payments, from_pack=amount - quota
        )

    async def usage(self, user: UserRecord) -> dict[str, tuple[int, int | None]]:
        """kind → (used today, limit or None)."""
        used = await self._store.quota_usage(user.id, self.day())
        return {kind: (used.get(kind, 0), self.limit(user, kind)) for kind in QUOTA_KINDS}

    # --- how fast ---------------------------------------------------------------------------

    async def throttle(self, user: UserRecord, kind: str) -> None:
        """Refuse (with the wait) when ``user`` goes faster than ``kind`` allows."""
        rule = self.config.rates.get(kind)
        if rule is None or self.is_admin(user.id):
            return
        try:
            wait = await self._limiter.acquire(
                LimitKey(user.id, kind), rate=rule.per_minute / 60, burst=rule.burst
            )
        except StorageError as exc:
            # Redis is away: serve users rather than refuse everyone; quotas (in the database)
            # still hold. /readyz reports the outage meanwhile.
            log.warning("rate limits unavailable, letting %s through: %s", kind, exc)
            return
        if wait > 0:
            raise RateLimited(kind, retry_after=wait)

    @contextlib.asynccontextmanager
    async def one_at_a_time(
        self, user: UserRecord, kind: str, *, ttl: float = 600
    ) -> AsyncIterator[None]:
        """At most one request of ``kind`` in flight per user (images take a while); the slot
        frees itself after ``ttl`` seconds should its holder die."""
        key = LimitKey(user.id, f"{kind}:busy")
        try:
            claimed = await self._limiter.begin(key, ttl=ttl)
        except StorageError as exc:
            log.warning("in-flight limits unavailable: %s", exc)
            yield
            return
        if not claimed:
            raise StillWorking(kind)
        try:
            yield
        finally:
            with contextlib.suppress(StorageError):
                await self._limiter.end(key)


@dataclass(slots=True)
class Bill:
    """Units taken from a quota (``amount``) and from image packs (``from_pack``); ``refund``
    gives (some of) them back, once, each to where it came from: packs first."""

    _store: Store
    user_id: int
    day: str
    kind: str
    amount: int
    packs: PaymentStore | None = None
    from_pack: int = 0

    async def refund(self, amount: int | None = None) -> None:
        total = self.amount + self.from_pack
        back = total if amount is None else min(amount, total)
        if back <= 0:
            return
        to_pack = min(back, self.from_pack)
        if to_pack and self.packs is not None:
            self.from_pack -= to_pack
            await self.packs.return_pack(self.user_id, to_pack)
        to_quota = back - to_pack
        if to_quota > 0:
            self.amount -= to_quota
            await self._store.refund_quota(self.user_id, self.day, self.kind, amount=to_quota)


def parse_quota_overrides(raw: Mapping[str, Mapping[str, int]]) -> dict[Tier, dict[str, int]]:
    """Defaults overridden by ``QUOTAS__<TIER>__<KIND>``; premium follows free ×10 unless set."""
    quotas = {tier: dict(limits) for tier, limits in DEFAULT_QUOTAS.items()}
    free = {k.lower(): v for k, v in raw.get("free", {}).items()}
    for kind, value in free.items():
        quotas[Tier.FREE][kind] = value
        if kind not in {k.lower() for k in raw.get("premium", {})}:
            quotas[Tier.PREMIUM][kind] = value * 10 if value >= 0 else -1
    for tier in (Tier.PREMIUM, Tier.UNLIMITED):
        for kind, value in raw.get(tier.value, {}).items():
            quotas[tier][kind.lower()] = value
    return quotas


@dataclass(frozen=True, slots=True)
class UserPayer:
    """Charges one user's quotas (the images service's ``Payer``)."""

    guard: Guard
    user: UserRecord

    async def charge(self, kind: str, amount: int = 1) -> Bill:
        return await self.guard.charge(self.user, kind, amount)
