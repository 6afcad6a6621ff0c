"""The message catalog: every text the bot itself says, in the user's language.

Catalogs live in ``locales/<code>.toml`` as flat ``key = "text"`` tables with ``{name}``
placeholders. English is complete by definition and is the fallback for a missing key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

DEFAULT_LANGUAGE: Final = "en"
LANGUAGES: Final = ("en", "zh-hans", "zh-hant", "es", "ru")

_ALIASES: Final = {
    "zh": "zh-hans",
    "zh-cn": "zh-hans",
    "zh-sg": "zh-hans",
    "zh-hans": "zh-hans",
    "zh-tw": "zh-hant",
    "zh-hk": "zh-hant",
    "zh-mo": "zh-hant",
    "zh-hant": "zh-hant",
}


def resolve_language(code: str | None) -> str:
    """Map a Telegram ``language_code`` (``en``, ``pt-br``, ``zh-TW``…) to a catalog."""
    if not code:
        return DEFAULT_LANGUAGE
    normalized = code.strip().lower().replace("_", "-")
    if normalized in _ALIASES:
        return _ALIASES[normalized]
    if normalized.startswith("zh-hant"):
        return "zh-hant"
    base = normalized.split("-", 1)[0]
    if base == "zh":
        return "zh-hans"
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


@cache
def catalog(language: str) -> dict[str, str]:
    """The flat key → text table of one language."""
    text = (
        resources.files("telegemini.core")
        .joinpath("locales", f"{language}.toml")
        .read_text(encoding="utf-8")
    )
    return _flatten(tomllib.loads(text))


def _flatten(table: dict[str, object], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat


@dataclass(frozen=True, slots=True)
class Duration:
    """A length of time for a message: written as people write it, in the reader's language
    ("45 s", "1 min 30 s", "2 h 5 min"), never "0.0833 min"."""

    seconds: float


# (hours, minutes, seconds) and what joins them, per language.
_UNITS: Final = {
    "en": ("h", "min", "s", " "),
    "es": ("h", "min", "s", " "),
    "ru": ("ч", "мин", "с", " "),
    "zh-hans": ("小时", "分钟", "秒", ""),
    "zh-hant": ("小時", "分鐘", "秒", ""),
}


def duration_text(language: str, seconds: float) -> str:
    hours_unit, minutes_unit, seconds_unit, gap = _UNITS.get(language, _UNITS[DEFAULT_LANGUAGE])
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        parts = [(hours, hours_unit), (minutes, minutes_unit)]
    elif minutes:
        parts = [(minutes, minutes_unit), (secs, seconds_unit)]
    else:
        parts = [(secs, seconds_unit)]
    shown = [f"{count}{gap}{unit}" for count, unit in parts if count] or [f"0{gap}{seconds_unit}"]
    return " ".join(shown) if gap else "".join(shown)


def translate(language: str, key: str, /, **values: object) -> str:
    """The text for ``key`` in ``language`` (falling back to English), filled with ``values``;
    a ``Duration`` is written out in that language."""
    table = catalog(language) if language in LANGUAGES else {}
    text = table.get(key) or catalog(DEFAULT_LANGUAGE)[key]
    if not values:
        return text
    filled = {
        name: duration_text(language, value.seconds) if isinstance(value, Duration) else value
        for name, value in values.items()
    }
    return text.format(**filled)


class Translator:
    """``translate`` bound to one language."""

    __slots__ = ("language",)

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, key: str, /, **values: object) -> str:
        return translate(self.language, key, **values)
