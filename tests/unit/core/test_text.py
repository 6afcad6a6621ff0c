"""Lengths as Telegram counts them (UTF-16 code units), and captions cut to fit them."""

from __future__ import annotations

import pytest

from telegemini.core.i18n import Translator
from telegemini.core.images import CAPTION_LIMIT, caption
from telegemini.core.models import ImageJob
from telegemini.core.moderation import Blocklist
from telegemini.core.text import clip_utf16, clip_utf16_start, utf16_len


def test_characters_outside_the_basic_plane_count_twice():
    assert utf16_len("abc") == 3
    assert utf16_len("🦊") == 2
    assert utf16_len("𠀀中") == 3


def test_clipping_never_splits_a_character_and_fits_the_limit():
    text = "🦊" * 10
    clipped = clip_utf16(text, 7)
    assert clipped == "🦊🦊🦊…"
    assert utf16_len(clipped) <= 7
    assert clip_utf16("short", 7) == "short"
    assert clip_utf16_start(text, 7) == "…🦊🦊🦊"


def test_a_long_emoji_prompt_makes_a_caption_telegram_accepts():
    prompt = "🦊 fox " * 400  # 2,400 characters, 2,800 UTF-16 units
    job = ImageJob(id="j", chat_id=1, user_id=1, prompt=prompt, size="2K")
    text = caption(job, None, Translator("en"))
    assert utf16_len(text) <= CAPTION_LIMIT
    assert text.endswith("…")


@pytest.mark.parametrize(
    "hidden",
    ["\u200e", "\ufe0f", "\U000e0061", "\u2064", "\u115f", "\u180e", "\U0001d173", "\u00ad"],
)
def test_a_blocked_word_split_by_any_default_ignorable_character_is_still_blocked(hidden):
    blocklist = Blocklist.parse("casino\n")
    assert blocklist.check(f"best ca{hidden}si{hidden}no in town") is not None
