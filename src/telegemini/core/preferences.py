"""Per-user settings screens: /mode, /voice, /language, /lang, /settings and their buttons.

Button data is ``<field>:<value>``, at most 64 bytes, and every value is checked against what
the screen offered: a forged or stale button changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from telegemini.core.i18n import LANGUAGES, Translator
from telegemini.core.models import Button, Mode, Preferences, Reply
from telegemini.core.modes import DEFAULT_TARGET_LANGUAGE, LANGUAGE_NAMES

UI_LANGUAGE_NAMES = {
    "en": "English",
    "zh-hans": "简体中文",
    "zh-hant": "繁體中文",
    "es": "Español",
    "ru": "Русский",
}
TARGET_CHOICES = ("en", "es", "fr", "de", "it", "pt", "ru", "zh", "ja", "ko", "ar", "hi")
CALLBACK_LIMIT = 64  # bytes, Telegram's limit


@dataclass(frozen=True, slots=True)
class Effective:
    """Preferences with the operator's defaults filled in."""

    voice_replies: bool
    voice: str
    search: bool = False  # web search available and not turned off by the user
    search_available: bool = False  # the operator allows search at all


def _mark(label: str, chosen: bool) -> str:
    return f"✓ {label}" if chosen else label


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
        flip = "off" if effective.voice_replies else "on"
        buttons: tuple[tuple[Button, ...], ...] = (
            (Button(t("button.mode", mode=self.mode_name(prefs.mode, t)), "md:menu"),),
            (
                Button(
                    t("button.voice_replies", state=on_off[effective.voice_replies]), f"vo:{flip}"
                ),
                Button(t("button.voice", voice=effective.voice), "vn:menu"),
            ),
            (
                Button(t("button.target", target=target), "tg:menu"),
                Button(t("button.ui", ui=ui), "ui:menu"),
            ),
            (
                Button(
                    t("button.expressive", state=on_off[prefs.expressive]),
                    f"ex:{'off' if prefs.expressive else 'on'}",
                ),
            ),
        )
        if effective.search_available:
            search = Button(
                t("button.search", state=on_off[effective.search]),
                f"ws:{'off' if effective.search else 'on'}",
            )
            buttons = (*buttons, (search,))
        return Reply(text, markdown=False, buttons=buttons)

    def mode_screen(self, prefs: Preferences, t: Translator) -> Reply:
        buttons = [
            Button(_mark(self.mode_name(mode, t), mode is prefs.mode), f"md:{mode.value}")
            for mode in Mode
        ]
        lines = [t("mode.current", mode=self.mode_name(prefs.mode, t)), ""]
        lines += [f"• {self.mode_name(m, t)} — {t(f'mode.about_{m.value}')}" for m in Mode]
        return Reply("\n".join(lines), markdown=False, buttons=(*_rows(buttons, 1), self._back(t)))

    def voice_screen(self, prefs: Preferences, t: Translator) -> Reply:
        effective = self._effective(prefs)
        state = t("settings.on") if effective.voice_replies else t("settings.off")
        flip = "off" if effective.voice_replies else "on"
        toggle = Button(t("button.voice_replies", state=state), f"vo:{flip}")
        voices = [Button(_mark(v, v == effective.voice), f"vn:{v}") for v in self._voices]
        return Reply(
            t("voice.pick", state=state, voice=effective.voice),
            markdown=False,
            buttons=((toggle,), *_rows(voices, 3), self._back(t)),
        )

    def ui_screen(self, prefs: Preferences, t: Translator) -> Reply:
        buttons = [Button(_mark(t("ui.auto"), prefs.ui_language is None), "ui:auto")]
        buttons += [
            Button(_mark(name, prefs.ui_language == code), f"ui:{code}")
            for code, name in UI_LANGUAGE_NAMES.items()
        ]
        return Reply(t("ui.pick"), markdown=False, buttons=(*_rows(buttons, 2), self._back(t)))

    def target_screen(self, prefs: Preferences, t: Translator) -> Reply:
        current = prefs.target_language or DEFAULT_TARGET_LANGUAGE
        buttons = [
            Button(_mark(LANGUAGE_NAMES[c], LANGUAGE_NAMES[c] == current), f"tg:{c}")
            for c in TARGET_CHOICES
        ]
        return Reply(
            t("language.pick", language=current),
            markdown=False,
            buttons=(*_rows(buttons, 3), self._back(t)),
        )

    def _back(self, t: Translator) -> tuple[Button, ...]:
        return (Button(t("button.back"), "st:menu"),)

    # --- button presses ------------------------------------------------------------------------

    def apply(self, data: str, prefs: Preferences) -> tuple[Preferences, str] | None:
        """(new preferences, screen to show) for a button, or None when the data is not one of
        ours (forged, stale, or over Telegram's limit)."""
        if len(data.encode()) > CALLBACK_LIMIT or ":" not in data:
            return None
        field, value = data.split(":", 1)
        if value == "menu":
            return (prefs, field) if field in {"st", "md", "vn", "tg", "ui"} else None
        if field == "md" and value in {m.value for m in Mode}:
            return replace(prefs, mode=Mode(value)), "md"
        if field == "vo" and value in {"on", "off"}:
            return replace(prefs, voice_replies=value == "on"), "vn"
        if field == "vn" and value in self._voices:
            return replace(prefs, voice=value), "vn"
        if field == "ex" and value in {"on", "off"}:
            return replace(prefs, expressive=value == "on"), "st"
        if field == "ws" and value in {"on", "off"}:
            return replace(prefs, search=value == "on"), "st"
        if field == "tg" and value in TARGET_CHOICES:
            return replace(prefs, target_language=LANGUAGE_NAMES[value]), "tg"
        if field == "ui" and (value == "auto" or value in LANGUAGES):
            return replace(prefs, ui_language=None if value == "auto" else value), "ui"
        return None

    def screen(self, name: str, prefs: Preferences, t: Translator) -> Reply:
        screens = {
            "st": self.settings_screen,
            "md": self.mode_screen,
            "vn": self.voice_screen,
            "tg": self.target_screen,
            "ui": self.ui_screen,
        }
        return screens[name](prefs, t)
