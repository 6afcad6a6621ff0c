"""Per-user settings screens: /mode, /voice, /language, /lang, /settings and their buttons.

A button carries a ``SettingPress`` (the setting and the value), and every value is checked
against what the screen offers: a forged or stale button changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from telegemini.core.buttons import MENU, Setting, SettingPress
from telegemini.core.i18n import LANGUAGES, Translator
from telegemini.core.models import Button, Mode, Preferences, Reply
from telegemini.core.modes import DEFAULT_TARGET_LANGUAGE, LANGUAGE_NAMES
from telegemini.core.voice import VOICE_STYLES

UI_LANGUAGE_NAMES = {
    "en": "English",
    "zh-hans": "简体中文",
    "zh-hant": "繁體中文",
    "es": "Español",
    "ru": "Русский",
}
TARGET_CHOICES = ("en", "es", "fr", "de", "it", "pt", "ru", "zh", "ja", "ko", "ar", "hi")


@dataclass(frozen=True, slots=True)
class Effective:
    """Preferences with the operator's defaults filled in."""

    voice_replies: bool
    voice: str
    search: bool = False  # web search available and not turned off by the user
    search_available: bool = False  # the operator allows search at all
    documents: bool = False  # files the user sends are read (DOCUMENTS_ENABLED, /settings)
    url_context: bool = False  # web pages a message names are read (URL_CONTEXT_ENABLED, ...)
    reading_available: bool = False  # the operator allows files or links at all


def _mark(label: str, chosen: bool) -> str:
    return f"✓ {label}" if chosen else label


def _press(setting: Setting, value: str = MENU) -> SettingPress:
    return SettingPress(setting, value)


def _rows(buttons: list[Button], per_row: int) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))


class PreferenceScreens:
    """Renders the settings screens and applies button presses."""

    def __init__(self, *, voices: tuple[str, ...], defaults: Callable[[Preferences], Effective]):
        self._voices = voices
        self._effective = defaults

    # --- screens ---------------------------------------------------------------------------

    def mode_name(self, mode: Mode, t: Translator) -> str:
        return t(f"mode.name_{mode.value}")

    def settings_screen(self, prefs: Preferences, t: Translator) -> Reply:
        effective = self._effective(prefs)
        on_off = {True: t("settings.on"), False: t("settings.off")}
        target = prefs.target_language or DEFAULT_TARGET_LANGUAGE
        ui = UI_LANGUAGE_NAMES.get(prefs.ui_language or "", t("ui.auto"))
        text = t(
            "settings.summary",
            mode=self.mode_name(prefs.mode, t),
            voice_state=on_off[effective.voice_replies],
            voice=effective.voice,
            target=target,
            ui=ui,
            expressive=on_off[prefs.expressive],
        )
        if effective.search_available:
            text += "\n" + t("settings.search", state=on_off[effective.search])
        text += "\n" + t("settings.thinking", state=on_off[prefs.show_thinking])
        reading = effective.documents or effective.url_context
        if effective.reading_available:
            text += "\n" + t("settings.reading", state=on_off[reading])
        flip = "off" if effective.voice_replies else "on"
        buttons: tuple[tuple[Button, ...], ...] = (
            (Button(t("button.mode", mode=self.mode_name(prefs.mode, t)), _press(Setting.MODE)),),
            (
                Button(
                    t("button.voice_replies", state=on_off[effective.voice_replies]),
                    _press(Setting.VOICE_REPLIES, flip),
                ),
                Button(t("button.voice", voice=effective.voice), _press(Setting.VOICE)),
            ),
            (
                Button(t("button.target", target=target), _press(Setting.TARGET)),
                Button(t("button.ui", ui=ui), _press(Setting.UI)),
            ),
            (
                Button(
                    t("button.expressive", state=on_off[prefs.expressive]),
                    _press(Setting.EXPRESSIVE, "off" if prefs.expressive else "on"),
                ),
            ),
        )
        thinking = Button(
            t("button.thinking", state=on_off[prefs.show_thinking]),
            _press(Setting.THINKING, "off" if prefs.show_thinking else "on"),
        )
        buttons = (*buttons, (thinking,))
        if effective.search_available:
            search = Button(
                t("button.search", state=on_off[effective.search]),
                _press(Setting.SEARCH, "off" if effective.search else "on"),
            )
            buttons = (*buttons, (search,))
        if effective.reading_available:
            read = Button(
                t("button.reading", state=on_off[reading]),
                _press(Setting.READING, "off" if reading else "on"),
            )
            buttons = (*buttons, (read,))
        return Reply(text, markdown=False, buttons=buttons)

    def mode_screen(self, prefs: Preferences, t: Translator) -> Reply:
        buttons = [
            Button(
                _mark(self.mode_name(mode, t), mode is prefs.mode), _press(Setting.MODE, mode.value)
            )
            for mode in Mode
        ]
        lines = [t("mode.current", mode=self.mode_name(prefs.mode, t)), ""]
        lines += [f"• {self.mode_name(m, t)} — {t(f'mode.about_{m.value}')}" for m in Mode]
        return Reply("\n".join(lines), markdown=False, buttons=(*_rows(buttons, 1), self._back(t)))

    def voice_screen(self, prefs: Preferences, t: Translator) -> Reply:
        """The voice choice alone, each voice with a word on how it sounds; voice replies are
        switched on and off in /settings (or /voice on|off), never here."""
        effective = self._effective(prefs)
        state = t("settings.on") if effective.voice_replies else t("settings.off")
        voices = [
            Button(_mark(self.voice_label(v, t), v == effective.voice), _press(Setting.VOICE, v))
            for v in self._voices
        ]
        return Reply(
            t("voice.pick", state=state, voice=self.voice_label(effective.voice, t)),
            markdown=False,
            buttons=(*_rows(voices, 2), self._back(t)),
        )

    def voice_label(self, voice: str, t: Translator) -> str:
        """``Kore · firm``: the name, and how it sounds in the user's language."""
        style = VOICE_STYLES.get(voice)
        return f"{voice} · {t(f'voice_style.{style}')}" if style else voice

    def ui_screen(self, prefs: Preferences, t: Translator) -> Reply:
        buttons = [
            Button(_mark(t("ui.auto"), prefs.ui_language is None), _press(Setting.UI, "auto"))
        ]
        buttons += [
            Button(_mark(name, prefs.ui_language == code), _press(Setting.UI, code))
            for code, name in UI_LANGUAGE_NAMES.items()
        ]
        return Reply(t("ui.pick"), markdown=False, buttons=(*_rows(buttons, 2), self._back(t)))

    def target_screen(self, prefs: Preferences, t: Translator) -> Reply:
        current = prefs.target_language or DEFAULT_TARGET_LANGUAGE
        buttons = [
            Button(
                _mark(LANGUAGE_NAMES[c], LANGUAGE_NAMES[c] == current), _press(Setting.TARGET, c)
            )
            for c in TARGET_CHOICES
        ]
        return Reply(
            t("language.pick", language=current),
            markdown=False,
            buttons=(*_rows(buttons, 3), self._back(t)),
        )

    def _back(self, t: Translator) -> tuple[Button, ...]:
        return (Button(t("button.back"), _press(Setting.SETTINGS)),)

    # --- button presses ------------------------------------------------------------------------

    def apply(self, press: SettingPress, prefs: Preferences) -> tuple[Preferences, Setting] | None:
        """(new preferences, screen to show) for a button, or None when its value is not one
        the screens offer (forged or stale)."""
        setting, value = press.setting, press.value
        if value == MENU:
            return (prefs, setting) if setting in _SCREENS else None
        on_off = value in {"on", "off"}
        if setting is Setting.MODE and value in {m.value for m in Mode}:
            return replace(prefs, mode=Mode(value)), Setting.MODE
        if setting is Setting.VOICE_REPLIES and on_off:
            return replace(prefs, voice_replies=value == "on"), Setting.SETTINGS
        if setting is Setting.VOICE and value in self._voices:
            return replace(prefs, voice=value), Setting.VOICE
        if setting is Setting.EXPRESSIVE and on_off:
            return replace(prefs, expressive=value == "on"), Setting.SETTINGS
        if setting is Setting.SEARCH and on_off:
            return replace(prefs, search=value == "on"), Setting.SETTINGS
        if setting is Setting.READING and on_off:
            return replace(prefs, reading=value == "on"), Setting.SETTINGS
        if setting is Setting.THINKING and on_off:
            return replace(prefs, show_thinking=value == "on"), Setting.SETTINGS
        if setting is Setting.TARGET and value in TARGET_CHOICES:
            return replace(prefs, target_language=LANGUAGE_NAMES[value]), Setting.TARGET
        if setting is Setting.UI and (value == "auto" or value in LANGUAGES):
            return replace(prefs, ui_language=None if value == "auto" else value), Setting.UI
        return None

    def screen(self, name: Setting | str, prefs: Preferences, t: Translator) -> Reply:
        screens = {
            Setting.SETTINGS: self.settings_screen,
            Setting.MODE: self.mode_screen,
            Setting.VOICE: self.voice_screen,
            Setting.TARGET: self.target_screen,
            Setting.UI: self.ui_screen,
        }
        return screens[Setting(name)](prefs, t)


# The settings that have a screen of their own (opened with the value ``MENU``).
_SCREENS = frozenset({Setting.SETTINGS, Setting.MODE, Setting.VOICE, Setting.TARGET, Setting.UI})
