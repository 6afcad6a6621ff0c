"""Callback data: aiogram ``CallbackData`` factories, the one place the wire format of every
button is declared. The core's button actions are packed into them when a keyboard is sent and
unpacked (validated by pydantic) when a button is pressed; data that does not unpack, or holds a
value no button offers, never reaches the core.

The image, captcha and broadcast layouts are the ones the bot has always sent (``im:v:<job>``,
``im:r:<job>:16x9``, ``cap:<emoji>``, ``bc:go:<token>``), so buttons under older messages keep
working.
"""

from __future__ import annotations

from typing import Literal

from aiogram.filters.callback_data import CallbackData
from pydantic import Field, field_validator

from telegemini.core.buttons import (
    BroadcastPress,
    ButtonAction,
    CaptchaPress,
    ImageAction,
    ImagePress,
    Setting,
    SettingPress,
    ShopPress,
)
from telegemini.core.models import ASPECT_RATIOS

ID_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"  # job ids and broadcast tokens (secrets.token_urlsafe)


class SettingButton(CallbackData, prefix="set"):
    setting: Setting
    value: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")


class ImageButton(CallbackData, prefix="im"):
    action: Literal[ImageAction.VARIANT, ImageAction.HD, ImageAction.BATCH, ImageAction.ANIMATE]
    job: str = Field(pattern=ID_PATTERN)


class RatioButton(CallbackData, prefix="im"):
    action: Literal[ImageAction.RATIO]
    job: str = Field(pattern=ID_PATTERN)
    ratio: str  # "16x9": ":" separates the fields

    @field_validator("ratio")
    @classmethod
    def _offered(cls, value: str) -> str:
        if value.replace("x", ":") not in ASPECT_RATIOS:
            raise ValueError("not an aspect ratio the buttons offer")
        return value


class CaptchaButton(CallbackData, prefix="cap"):
    answer: str = Field(min_length=1, max_length=16)


class BroadcastButton(CallbackData, prefix="bc"):
    choice: Literal["go", "no"]
    token: str = Field(pattern=ID_PATTERN)


class ShopButton(CallbackData, prefix="buy"):
    offer: str = Field(pattern=r"^(premium|pack-[0-9]{1,6})$")


def pack(action: ButtonAction) -> str:
    """The callback data of a button (at most 64 bytes, or ``ValueError``)."""
    data: CallbackData
    if isinstance(action, SettingPress):
        data = SettingButton(setting=action.setting, value=action.value)
    elif isinstance(action, ImagePress) and action.action is ImageAction.RATIO:
        assert action.ratio is not None
        ratio = action.ratio.replace(":", "x")
        data = RatioButton(action=ImageAction.RATIO, job=action.job_id, ratio=ratio)
    elif isinstance(action, ImagePress):
        data = ImageButton(action=action.action, job=action.job_id)
    elif isinstance(action, CaptchaPress):
        data = CaptchaButton(answer=action.answer)
    elif isinstance(action, ShopPress):
        data = ShopButton(offer=action.offer)
    else:
        data = BroadcastButton(choice="go" if action.send else "no", token=action.token)
    return data.pack()


def action_of(data: CallbackData) -> ButtonAction:
    """The core's action for unpacked callback data."""
    if isinstance(data, SettingButton):
        return SettingPress(data.setting, data.value)
    if isinstance(data, RatioButton):
        return ImagePress(ImageAction.RATIO, data.job, ratio=data.ratio.replace("x", ":"))
    if isinstance(data, ImageButton):
        return ImagePress(data.action, data.job)
    if isinstance(data, CaptchaButton):
        return CaptchaPress(data.answer)
    if isinstance(data, BroadcastButton):
        return BroadcastPress(send=data.choice == "go", token=data.token)
    if isinstance(data, ShopButton):
        return ShopPress(data.offer)
    raise TypeError(f"no button action for {type(data).__name__}")
