from __future__ import annotations

import re

import pytest

from telegemini.core.i18n import (
    LANGUAGES,
    Translator,
    catalog,
    duration_text,
    resolve_language,
    translate,
)
from telegemini.errors import InputTooLong


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (None, "en"),
        ("en", "en"),
        ("en-US", "en"),
        ("zh-hans", "zh-hans"),
        ("zh-CN", "zh-hans"),
        ("zh-sg", "zh-hans"),
        ("zh", "zh-hans"),
        ("zh-hant", "zh-hant"),
        ("zh-TW", "zh-hant"),
        ("zh-hk", "zh-hant"),
        ("es", "es"),
        ("ru", "ru"),
        ("pt-br", "en"),
        ("", "en"),
    ],
)
def test_language_resolution(code, expected):
    assert resolve_language(code) == expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_catalog_has_every_key_with_the_same_placeholders(language):
    reference = catalog("en")
    other = catalog(language)
    assert set(other) == set(reference)
    for key, text in reference.items():
        assert set(re.findall(r"{(\w+)}", other[key])) == set(re.findall(r"{(\w+)}", text)), key


def test_missing_values_fall_back_to_english():
    assert translate("xx-unknown", "reset.done") == translate("en", "reset.done")


@pytest.mark.parametrize(
    ("language", "seconds", "text"),
    [
        ("en", 5, "5 s"),
        ("en", 90, "1 min 30 s"),
        ("en", 600, "10 min"),
        ("en", 3900, "1 h 5 min"),
        ("en", 0.2, "0 s"),
        ("ru", 90, "1 мин 30 с"),
        ("zh-hans", 90, "1分钟30秒"),
        ("zh-hant", 600, "10分鐘"),
    ],
)
def test_durations_read_as_people_write_them(language, seconds, text):
    assert duration_text(language, seconds) == text


def test_a_short_limit_is_never_a_fraction_of_a_minute():
    error = InputTooLong("45 s", limit_seconds=5)
    assert Translator("en")(error.message_key, **error.message_args()) == (
        "That recording is too long for me (the limit is 5 s)."
    )
