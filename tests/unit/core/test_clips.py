"""/video's arguments: a ratio and a length the model accepts, in any order, then the prompt."""

from __future__ import annotations

import pytest

from telegemini.core.clips import VideoArgs, parse_video_args, ratio_for


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a fox in snow", VideoArgs("a fox in snow", "16:9", 8)),
        ("9:16 a fox", VideoArgs("a fox", "9:16", 8)),
        ("4s 9:16 a fox", VideoArgs("a fox", "9:16", 4)),
        ("16:9 15s  a   fox", VideoArgs("a fox", "16:9", 15)),
        ("3s a fox at 9:16 later", VideoArgs("a fox at 9:16 later", "16:9", 3)),
    ],
)
def test_options_before_the_prompt_are_read(text, expected):
    assert parse_video_args(text) == expected


@pytest.mark.parametrize(
    "text", ["", "9:16", "8s", "4:3 a fox", "2s a fox", "16s a fox", "9:16 99s a fox"]
)
def test_anything_the_model_does_not_take_gets_the_usage_text(text):
    assert parse_video_args(text) is None


def test_a_picture_is_animated_in_the_nearest_ratio():
    assert ratio_for(720, 1280) == "9:16"
    assert ratio_for(1280, 720) == "16:9"
    assert ratio_for(1000, 1000) == "16:9"
