from __future__ import annotations

import pytest

from telegemini.core.buttons import Setting, SettingPress
from telegemini.core.i18n import Translator
from telegemini.core.models import Mode, Preferences
from telegemini.core.preferences import Effective, PreferenceScreens
from telegemini.core.voice import VOICES

screens = PreferenceScreens(
    voices=VOICES,
    defaults=lambda p: Effective(
        voice_replies=p.voice_replies if p.voice_replies is not None else True,
        voice=p.voice or "Kore",
    ),
)


def press(data: str) -> SettingPress:
    setting, value = data.split(":", 1)
    return SettingPress(Setting(setting), value)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("md:translation", Preferences(mode=Mode.TRANSLATION)),
        ("vo:off", Preferences(voice_replies=False)),
        ("vn:Puck", Preferences(voice="Puck")),
        ("ex:on", Preferences(expressive=True)),
        ("tg:ja", Preferences(target_language="Japanese")),
        ("ui:zh-hant", Preferences(ui_language="zh-hant")),
    ],
)
def test_buttons_change_exactly_one_setting(data, expected):
    applied = screens.apply(press(data), Preferences())
    assert applied is not None
    assert applied[0] == expected


@pytest.mark.parametrize(
    "data",
    ["md:root", "vn:NotAVoice", "ui:xx", "tg:klingon", "vo:menu", "ex:maybe", "vn:" + "K" * 70],
)
def test_forged_or_stale_buttons_are_refused(data):
    assert screens.apply(press(data), Preferences()) is None


@pytest.mark.parametrize("language", ["en", "zh-hans", "zh-hant", "es", "ru"])
def test_every_screen_fits_telegram_limits(language):
    t = Translator(language)
    prefs = Preferences()
    for name in ("st", "md", "vn", "tg", "ui"):
        reply = screens.screen(name, prefs, t)
        assert 0 < len(reply.text) <= 4096
        for row in reply.buttons:
            for button in row:
                assert isinstance(button.action, SettingPress)
                assert screens.apply(button.action, prefs) is not None  # every offer is accepted


def test_current_choice_is_marked():
    reply = screens.voice_screen(Preferences(voice="Charon"), Translator("en"))
    labels = [b.label for row in reply.buttons for b in row]
    assert "✓ Charon · informative" in labels
    assert "Kore · firm" in labels


def test_voice_replies_switch_in_settings_and_stay_there():
    settings = screens.settings_screen(Preferences(), Translator("en"))
    [switch] = [b for row in settings.buttons for b in row if b.label == "Voice replies: on"]
    applied = screens.apply(switch.action, Preferences())
    assert applied == (Preferences(voice_replies=False), Setting.SETTINGS)
    labels = [
        b.label
        for row in screens.screen(applied[1], applied[0], Translator("en")).buttons
        for b in row
    ]
    assert "Voice replies: off" in labels
    assert "Puck · upbeat" not in labels  # the voice list is a screen of its own


@pytest.mark.parametrize("language", ["en", "zh-hans", "zh-hant", "es", "ru"])
def test_the_voice_list_is_the_choice_alone_each_voice_described(language):
    t = Translator(language)
    reply = screens.voice_screen(Preferences(voice_replies=False), t)
    actions = [b.action for row in reply.buttons for b in row]
    assert all(a.setting is not Setting.VOICE_REPLIES for a in actions)
    labels = [b.label for row in reply.buttons[:-1] for b in row]  # the last row goes back
    assert len(labels) == len(VOICES) == 30
    for label, voice in zip(labels, VOICES, strict=True):
        name, _, style = label.removeprefix("✓ ").partition(" · ")
        assert name == voice
        assert style
        assert not style.startswith("voice_style.")  # a catalog word, not a missing key
    assert (
        "Zephyr · bright"
        in screens.voice_screen(Preferences(), Translator("en")).buttons[1][1].label
    )
