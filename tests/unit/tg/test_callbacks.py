"""Callback data: every button the core offers packs within Telegram's 64 bytes and unpacks to
the same action; anything else matches no factory, so it never reaches the core."""

from __future__ import annotations

import pytest
from aiogram.filters.callback_data import CallbackData

from telegemini.core.buttons import (
    BroadcastPress,
    ButtonAction,
    CaptchaPress,
    ImageAction,
    ImagePress,
    Setting,
)
from telegemini.core.i18n import Translator
from telegemini.core.images import RATIO_BUTTONS, job_buttons
from telegemini.core.models import ImageJob, Preferences
from telegemini.core.preferences import Effective, PreferenceScreens
from telegemini.core.voice import VOICES
from telegemini.tg.buttons import BUTTONS
from telegemini.tg.callbacks import action_of, pack

FACTORIES: list[type[CallbackData]] = [f for group in BUTTONS.values() for f in group]


def unpack(data: str) -> ButtonAction | None:
    """What the routers would hand the core, or None ("this button has expired")."""
    for factory in FACTORIES:
        try:
            return action_of(factory.unpack(data))
        except (TypeError, ValueError):
            continue
    return None


def offered_actions() -> list[ButtonAction]:
    screens = PreferenceScreens(
        voices=VOICES,
        defaults=lambda p: Effective(voice_replies=True, voice="Kore", search_available=True),
    )
    t = Translator("en")
    actions = [
        b.action
        for setting in (Setting.SETTINGS, Setting.MODE, Setting.VOICE, Setting.TARGET, Setting.UI)
        for row in screens.screen(setting, Preferences(), t).buttons
        for b in row
    ]
    job = ImageJob(id="Ab3_-9xYzQk", chat_id=1, user_id=1, prompt="a cat", size="2K")
    actions += [b.action for row in job_buttons(job, t) for b in row]
    actions += [CaptchaPress("🐱"), BroadcastPress(send=True, token="q-7_xY9a")]
    return actions


@pytest.mark.parametrize("action", offered_actions(), ids=repr)
def test_every_offered_button_packs_within_64_bytes_and_comes_back(action):
    data = pack(action)
    assert len(data.encode()) <= 64
    assert unpack(data) == action


def test_image_buttons_keep_the_layout_older_messages_carry():
    assert unpack("im:v:Ab3_-9xYzQk") == ImagePress(ImageAction.VARIANT, "Ab3_-9xYzQk")
    assert unpack("im:r:Ab3_-9xYzQk:16x9") == ImagePress(
        ImageAction.RATIO, "Ab3_-9xYzQk", ratio="16:9"
    )
    assert {pack(ImagePress(ImageAction.RATIO, "j", ratio=r)) for r in RATIO_BUTTONS} == {
        f"im:r:j:{r.replace(':', 'x')}" for r in RATIO_BUTTONS
    }


@pytest.mark.parametrize(
    "data",
    [
        "",
        "nonsense",
        "im:r:Ab3:7x3",  # a ratio no button offers: never a paid call with it
        "im:r:Ab3",  # a ratio button without its ratio
        "im:x:Ab3",  # no such action
        "im:v:../../etc",  # not a job id
        "im:v:Ab3:extra:parts",
        "set:zz:menu",  # no such setting
        "set:md:" + "x" * 40,
        "bc:maybe:tok",
        "bc:go:",
        "cap:",
        "md:image",  # the settings layout before callback data factories
        "im:v:" + "A" * 60,
        "im::Ab3",  # an empty action (once an IndexError and an admin alert)
    ],
)
def test_malformed_forged_or_stale_data_matches_no_button(data):
    assert unpack(data) is None
