from __future__ import annotations

import re

import pytest

from telegemini.core.i18n import LANGUAGES, catalog, resolve_language, translate


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
