"""What the operator sells for Telegram Stars, and payments as the core sees them.

Two kinds of offer: the monthly Premium subscription (the ``premium`` tier's quotas for 30 days,
renewed by Telegram every 30 days until cancelled) and image packs (extra images that do not
expire at midnight, used once the day's quota is spent). An invoice's payload names the offer
and its price, so a pre-checkout can tell whether the offer still stands as it was shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from telegemini.errors import TelegeminiError

PREMIUM_DAYS: Final = 30
SUBSCRIPTION_PERIOD: Final = PREMIUM_DAYS * 24 * 3600  # 2592000 s, the only period Telegram has
CURRENCY: Final = "XTR"  # Telegram Stars
PACK_KINDS: Final = frozenset({"images", "hd_images"})  # what a pack's images stand in for
MAX_STARS: Final = 10_000  # Telegram's upper bound for one Stars payment
_PACK = re.compile(r"^\s*(\d+)\s*:\s*(\d+)\s*$")


class PaymentRefused(TelegeminiError):
    """Telegram would not do it (a refund of a payment already refunded, an unknown charge);
    ``reason`` is Telegram's description, for the admin."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class OfferKind(StrEnum):
    PREMIUM = "premium"
    PACK = "pack"


@dataclass(frozen=True, slots=True)
class Offer:
    """One thing for sale: Premium for ``stars`` a month, or ``images`` for ``stars``."""

    kind: OfferKind
    stars: int
    images: int = 0  # packs only

    @property
    def payload(self) -> str:
        """The invoice payload (1-128 bytes): what was offered, at what price."""
        if self.kind is OfferKind.PREMIUM:
            return f"premium:{self.stars}"
        return f"pack:{self.images}:{self.stars}"

    @property
    def key(self) -> str:
        """What a button names: ``premium`` or ``pack-50``."""
        return "premium" if self.kind is OfferKind.PREMIUM else f"pack-{self.images}"


def parse_payload(payload: str) -> Offer | None:
    """The offer an invoice payload names, or None when it names none."""
    parts = payload.split(":")
    try:
        if len(parts) == 2 and parts[0] == "premium":
            return Offer(OfferKind.PREMIUM, int(parts[1]))
        if len(parts) == 3 and parts[0] == "pack":
            return Offer(OfferKind.PACK, int(parts[2]), images=int(parts[1]))
    except ValueError:
        return None
    return None


@dataclass(frozen=True, slots=True)
class Pack:
    images: int
    stars: int


def parse_packs(raw: str) -> tuple[Pack, ...]:
    """``"50:250,200:900"`` (images:stars, comma-separated) → packs; ``ValueError`` saying what
    is wrong otherwise."""
    packs: list[Pack] = []
    for item in (part for part in raw.split(",") if part.strip()):
        match = _PACK.match(item)
        if match is None:
            raise ValueError(f"{item.strip()!r} is not images:stars (e.g. 50:250)")
        images, stars = int(match.group(1)), int(match.group(2))
        if images < 1 or not 1 <= stars <= MAX_STARS:
            raise ValueError(f"{item.strip()!r}: at least 1 image, and 1-{MAX_STARS} Stars")
        if any(p.images == images for p in packs):
            raise ValueError(f"two packs of {images} images")
        packs.append(Pack(images, stars))
    return tuple(packs)


@dataclass(frozen=True, slots=True)
class ShopConfig:
    """The operator's STARS_ENABLED, PREMIUM_MONTHLY_STARS, IMAGE_PACKS and texts."""

    enabled: bool = False
    premium_stars: int = 0  # 0: no subscription on offer
    packs: tuple[Pack, ...] = ()
    paysupport_text: str = ""
    terms_text: str = ""

    def offers(self) -> tuple[Offer, ...]:
        if not self.enabled:
            return ()
        premium = (Offer(OfferKind.PREMIUM, self.premium_stars),) if self.premium_stars else ()
        return premium + tuple(Offer(OfferKind.PACK, p.stars, images=p.images) for p in self.packs)

    def find(self, key: str) -> Offer | None:
        return next((o for o in self.offers() if o.key == key), None)


class SubscriptionState(StrEnum):
    """``BotSubscriptionUpdated.state`` (Bot API 10.2)."""

    ACTIVE = "active"
    CANCELED = "canceled"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Payment:
    """A successful payment as Telegram reported it (``successful_payment``)."""

    charge_id: str  # telegram_payment_charge_id: the key that makes crediting happen once
    user_id: int
    stars: int
    offer: Offer
    paid_at: float  # epoch seconds
    recurring: bool = False  # a renewal of a subscription (not its first payment)


@dataclass(frozen=True, slots=True)
class Credited:
    """What a payment changed: Premium's end, and the images left in packs."""

    premium_until: float | None
    pack_left: int


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    """A stored payment, for /refund and /stats."""

    charge_id: str
    user_id: int
    kind: OfferKind
    stars: int
    images: int
    paid_at: float
    refunded: bool = False


@dataclass(frozen=True, slots=True)
class Refunded:
    """What a refund took back."""

    record: PaymentRecord
    premium_until: float | None  # Premium's new end (None: not a subscription payment)
    pack_taken: int  # images taken out of the user's packs


@dataclass(frozen=True, slots=True)
class PreCheckout:
    """Telegram asks whether to go ahead with a payment (answer within 10 s)."""

    query_id: str
    user_id: int
    language_code: str | None
    currency: str
    stars: int
    payload: str


_MONTHS: Final = {
    "en": "January February March April May June July August September October November December",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre",
    "ru": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
}


def date_text(language: str, when: datetime) -> str:
    """A day as people write it: "2 January", "2 de enero", "2 января", "1月2日"."""
    if language in ("zh-hans", "zh-hant"):
        return f"{when.month}月{when.day}日"
    month = _MONTHS.get(language, _MONTHS["en"]).split()[when.month - 1]
    return f"{when.day} de {month}" if language == "es" else f"{when.day} {month}"
