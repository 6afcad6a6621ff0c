"""The demo model's answers, voice and pictures."""

from __future__ import annotations

import io
import stat
import sys
from pathlib import Path

import pytest
from PIL import Image

from telegemini.sandbox.demo import demo_reply_text
from telegemini.sandbox.demo_media import (
    DemoMedia,
    draw_picture,
    espeak_voice,
    picture_size,
)
from telegemini.sandbox.fake_gemini import (
    SAMPLE_RATE,
    ImageRequest,
    MediaBlock,
    SpeechRequest,
    image_sizes,
)

INTRO = (
    "I am the **demo model**: I work offline, repeat what you say and remember this "
    "conversation. Set `GOOGLE_API_KEY` to talk to Gemini."
)


def test_the_first_answer_introduces_the_demo_model():
    assert demo_reply_text("hello", []) == f"You said: *hello*\n\n{INTRO}"


def test_later_answers_quote_the_conversation_back():
    text = demo_reply_text("third", ["first", "second"])
    assert text == "You said: *third*\n\nEarlier in this conversation:\n1. first\n2. second"


def test_only_the_last_five_earlier_messages_are_quoted():
    text = demo_reply_text("now", [f"m{i}" for i in range(8)])
    assert text.endswith("1. m3\n2. m4\n3. m5\n4. m6\n5. m7")


def test_a_recording_is_acknowledged_not_transcribed():
    recording = MediaBlock(kind="audio", mime_type="audio/ogg", data=b"x" * 4096)
    text = demo_reply_text("", ["hi"], [recording])
    assert text.startswith(
        "I received a recording (4 KB). The demo model cannot hear or see; "
        "with `GOOGLE_API_KEY` set, Gemini would."
    )
    assert "You said" not in text


def test_pictures_with_a_caption():
    photos = [MediaBlock(kind="image", mime_type="image/jpeg", data=b"j") for _ in range(2)]
    text = demo_reply_text("look", [], photos)
    assert text.splitlines()[0].startswith("I received 2 pictures.")
    assert "You said: *look*" in text


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("hello there", "en"),
        ("你好，世界", "cmn"),
        ("陳大文你好", "cmn"),
        ("Привет, мир", "ru"),
        ("¿Qué tal?", "es"),
        ("mañana", "es"),
    ],
)
def test_espeak_voice_follows_the_script(text, language):
    assert espeak_voice(text).split("+")[0] == language


def test_each_gemini_voice_keeps_its_espeak_variant():
    assert espeak_voice("hi", "Kore") == espeak_voice("hello", "Kore")
    variants = {espeak_voice("hi", name).split("+")[1] for name in ("Kore", "Puck", "Zephyr")}
    assert len(variants) >= 2


@pytest.mark.parametrize(
    ("logical", "expected"),
    [((1024, 1024), (512, 512)), ((2048, 1152), (512, 288)), ((768, 1024), (384, 512))],
)
def test_picture_size_keeps_the_aspect_ratio(logical, expected):
    assert picture_size(logical) == expected


def test_a_picture_is_a_png_of_the_asked_size_and_deterministic():
    first = draw_picture("a red fox in the snow", 512, 288, seed=7)
    again = draw_picture("a red fox in the snow", 512, 288, seed=7)
    other = draw_picture("a red fox in the snow", 512, 288, seed=8)
    assert first == again
    assert first != other
    image = Image.open(io.BytesIO(first))
    assert (image.format, image.size) == ("PNG", (512, 288))


async def test_demo_media_draws_at_the_requested_aspect_ratio():
    png = await DemoMedia(find_espeak=False).image(
        ImageRequest("кот в сапогах", image_sizes("9:16", "2K"), seed=3)
    )
    assert Image.open(io.BytesIO(png)).size == (288, 512)


def _fake_espeak(directory: Path, body: str) -> str:
    """An executable that stands in for espeak-ng (a Python script)."""
    program = directory / "espeak-ng"
    program.write_text(f"#!{sys.executable}\n{body}")
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    return str(program)


ONE_SECOND_WAV = """
import sys, wave
text = sys.stdin.read()
assert sys.argv[1:3] == ["--stdout", "-v"], sys.argv
out = wave.open(sys.stdout.buffer, "wb")
out.setnchannels(1); out.setsampwidth(2); out.setframerate(22050)
out.writeframes(b"\\x00\\x10" * 22050)
out.close()
"""


async def test_speech_comes_from_espeak_resampled_to_24_khz(tmp_path):
    media = DemoMedia(espeak=_fake_espeak(tmp_path, ONE_SECOND_WAV))
    assert media.speaks
    pcm = await media.speech(SpeechRequest("Hello", "Kore", None, seconds=0.5))
    assert abs(len(pcm) / 2 / SAMPLE_RATE - 1.0) < 0.02  # espeak's second, not the 0.5 s tone


async def test_a_failing_espeak_falls_back_to_the_tone(tmp_path, caplog):
    media = DemoMedia(espeak=_fake_espeak(tmp_path, "import sys; sys.exit(3)"))
    pcm = await media.speech(SpeechRequest("Hello", None, None, seconds=1.5))
    assert len(pcm) == 2 * round(1.5 * SAMPLE_RATE)
    assert "espeak-ng failed" in caplog.text


async def test_without_espeak_the_demo_model_hums():
    media = DemoMedia(find_espeak=False)
    assert not media.speaks
    pcm = await media.speech(SpeechRequest("Hello", None, None, seconds=0.8))
    assert len(pcm) == 2 * round(0.8 * SAMPLE_RATE)
