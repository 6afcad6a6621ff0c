"""What a button does, as the core sees it. The Telegram adapter packs these into callback data
and unpacks them again (aiogram ``CallbackData`` factories in ``tg/callbacks.py``): the core never
parses a string, and data that is malformed, forged or stale never reaches it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Setting(StrEnum):
    """A settings screen, and the setting its buttons change."""

    SETTINGS = "st"  # the overview (only opened, never set)
    MODE = "md"
    VOICE_REPLIES = "vo"
    VOICE = "vn"
    TARGET = "tg"
    UI = "ui"
    EXPRESSIVE = "ex"
    SEARCH = "ws"
    THINKING = "th"
    READING = "rd"  # files and links read


MENU = "menu"  # the value that opens a setting's screen instead of choosing


@dataclass(frozen=True, slots=True)
class SettingPress:
    setting: Setting
    value: str  # ``MENU``, or the choice (checked against what the screen offers)


class ImageAction(StrEnum):
    VARIANT = "v"
    HD = "h"
    BATCH = "b"
    RATIO = "r"
    ANIMATE = "a"  # a short clip made from the picture (the video model)


@dataclass(frozen=True, slots=True)
class ImagePress:
    action: ImageAction
    job_id: str
    ratio: str | None = None  # "16:9", for ``RATIO`` only


@dataclass(frozen=True, slots=True)
class CaptchaPress:
    answer: str  # the emoji tapped


@dataclass(frozen=True, slots=True)
class BroadcastPress:
    send: bool  # False: cancel
    token: str  # which pending broadcast


@dataclass(frozen=True, slots=True)
class ShopPress:
    offer: str  # ``Offer.key``: "premium" or "pack-50" (checked against what is on sale)


ButtonAction = SettingPress | ImagePress | CaptchaPress | BroadcastPress | ShopPress
