"""The demo model through the real google-genai SDK: exact answers, memory, speech, pictures."""

from __future__ import annotations

import base64
import io
import stat
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from google import genai
from google.genai import types
from PIL import Image

from telegemini.core import modes
from telegemini.core.models import Mode
from telegemini.sandbox.demo import demo_server
from telegemini.sandbox.demo_media import TONE_SECONDS, DemoMedia
from telegemini.sandbox.fake_gemini import (
    SAMPLE_RATE,
    FakeGeminiServer,
    SpeechRequest,
    png_dimensions,
)
from telegemini.sandbox.fake_gemini.reading import make_pdf

CHAT = "gemini-3.1-flash-lite"
TTS = "gemini-3.8-flash-lite-tts"
IMAGE = "gemini-3-pro-image"

# Stands in for espeak-ng: half a second of WAV at espeak's 22.05 kHz, whatever the text.
FAKE_ESPEAK = """
import sys, wave
sys.stdin.read()
out = wave.open(sys.stdout.buffer, "wb")
out.setnchannels(1); out.setsampwidth(2); out.setframerate(22050)
out.writeframes(b"\\x00\\x08" * 11025)
out.close()
"""


@pytest.fixture(scope="module")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FakeGeminiServer]:
    program = Path(tmp_path_factory.mktemp("espeak")) / "espeak-ng"
    program.write_text(f"#!{sys.executable}\n{FAKE_ESPEAK}")
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    server = demo_server(chunk_delay=0.0, media=DemoMedia(espeak=str(program)))
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(demo: FakeGeminiServer) -> AsyncIterator[genai.Client]:
    options = types.HttpOptions(base_url=demo.url, retry_options=types.HttpRetryOptions(attempts=1))
    client = genai.Client(api_key="demo", http_options=options)
    yield client
    await client.aio.aclose()


async def test_the_demo_model_answers_exactly_and_remembers(client):
    first = await client.aio.interactions.create(model=CHAT, input="my name is Alice")
    second = await client.aio.interactions.create(
        model=CHAT, input="what is my name?", previous_interaction_id=first.id
    )

    assert first.output_text.startswith("You said: *my name is Alice*\n\nI am the **demo model**")
    assert second.output_text == (
        "You said: *what is my name?*\n\nEarlier in this conversation:\n1. my name is Alice"
    )


async def test_streamed_answers_arrive_in_pieces(client):
    stream = await client.aio.interactions.create(model=CHAT, input="stream please", stream=True)
    pieces = [
        event.delta.text
        async for event in stream
        if event.event_type == "step.delta" and event.delta.type == "text"
    ]
    assert len(pieces) > 1
    assert "".join(pieces).startswith("You said: *stream please*")


async def test_speech_comes_from_espeak(client):
    spoken = await client.aio.interactions.create(
        model=TTS, input="Hello from the demo", response_modalities=["audio"]
    )
    audio = spoken.output_audio
    assert (audio.mime_type, audio.sample_rate) == ("audio/l16", 24000)
    assert len(base64.b64decode(audio.data)) == 2 * 12000  # espeak's half second at 24 kHz


async def test_pictures_show_the_prompt_at_the_asked_aspect_ratio(client, demo):
    wide = await client.aio.interactions.create(
        model=IMAGE,
        input="a lighthouse at dusk",
        response_format=[{"type": "image", "aspect_ratio": "16:9", "image_size": "2K"}],
    )
    png = base64.b64decode(wide.output_image.data)
    assert png_dimensions(png) == (512, 288)
    assert demo.requests[-1].meta["pixel_size"] == [512, 288]


async def test_the_default_fake_keeps_its_own_tiny_media():
    async with FakeGeminiServer() as plain:
        options = types.HttpOptions(
            base_url=plain.url, retry_options=types.HttpRetryOptions(attempts=1)
        )
        client = genai.Client(api_key="k", http_options=options)
        try:
            image = await client.aio.interactions.create(
                model=IMAGE, input="a cat", response_modalities=["image"]
            )
            text = await client.aio.interactions.create(model=CHAT, input="hi")
        finally:
            await client.aio.aclose()
    assert png_dimensions(base64.b64decode(image.output_image.data)) == (64, 64)
    assert text.output_text == "You said: hi"


# --- every mode, as Gemini would answer it ----------------------------------------------------


def _instruction(mode: Mode, **values: str) -> str:
    return modes.instruction(mode, **values)


async def test_translation_uses_the_phrase_list_and_says_it_is_a_demo(client):
    answer = await client.aio.interactions.create(
        model=CHAT,
        input="Thank you!",
        system_instruction=_instruction(Mode.TRANSLATION, target_language="Spanish"),
        store=False,
    )
    assert (
        answer.output_text
        == "Gracias\n\n(traducción de demostración con una lista de frases integrada)"
    )
    russian = await client.aio.interactions.create(
        model=CHAT,
        input="Спокойной ночи",
        system_instruction=_instruction(Mode.TRANSLATION, target_language="Chinese (Traditional)"),
        store=False,
    )
    assert russian.output_text.startswith("晚安\n\n（示範翻譯")


async def test_translation_of_an_unknown_phrase_lists_the_known_ones_in_the_users_language(client):
    answer = await client.aio.interactions.create(
        model=CHAT,
        input="Где находится вокзал?",
        system_instruction=_instruction(Mode.TRANSLATION, target_language="English"),
        store=False,
    )
    assert answer.output_text.startswith("(демо) Я перевожу лишь несколько фраз: Привет · Спасибо")


async def test_transcription_returns_a_transcript_laid_out_as_gemini_does(client):
    answer = await client.aio.interactions.create(
        model=CHAT,
        input=[
            {
                "type": "audio",
                "data": base64.b64encode(b"O" * 4096).decode(),
                "mime_type": "audio/ogg",
            }
        ],
        system_instruction=modes.TRANSCRIPTION,
        store=False,
    )
    assert answer.output_text.startswith(
        "Language: English\n\n[demo transcript] A recording of 4 KB."
    )


@pytest.mark.parametrize(
    ("said", "answer"),
    [
        (
            "hola, me llamo Lucía",
            "Dijiste: *hola, me llamo Lucía*\n\nSoy el **modelo de demostración**",
        ),
        ("你好，我叫李华", "你说：*你好，我叫李华*\n\n我是**演示模型**"),
        ("你好，我們見面吧", "你說：*你好，我們見面吧*\n\n我是**示範模型**"),
        ("Привет, я Иван", "Вы сказали: *Привет, я Иван*\n\nЯ **демо-модель**"),
    ],
)
async def test_each_user_is_answered_in_their_own_language(client, said, answer):
    reply = await client.aio.interactions.create(model=CHAT, input=said)
    assert reply.output_text.startswith(answer)


async def test_without_words_the_demo_answers_in_the_language_of_whoever_wrote_last():
    server = demo_server(chunk_delay=0.0, fallback_language=lambda: "es")
    async with server:
        options = types.HttpOptions(
            base_url=server.url, retry_options=types.HttpRetryOptions(attempts=1)
        )
        client = genai.Client(api_key="demo", http_options=options)
        try:
            answer = await client.aio.interactions.create(
                model=CHAT,
                input=[
                    {
                        "type": "audio",
                        "data": base64.b64encode(b"O" * 2048).decode(),
                        "mime_type": "audio/ogg",
                    }
                ],
            )
        finally:
            await client.aio.aclose()
    assert answer.output_text.startswith("Recibí una grabación (2 KB).")


async def test_a_photo_with_make_it_calls_the_image_tool_then_says_a_short_line(client):
    photo = base64.b64encode(_photo()).decode()
    tool = {
        "type": "function",
        "name": "generate_image",
        "description": "pictures",
        "parameters": {"type": "object"},
    }
    call = await client.aio.interactions.create(
        model=CHAT,
        input=[
            {"type": "text", "text": "make it watercolour"},
            {"type": "image", "data": photo, "mime_type": "image/png"},
        ],
        tools=[tool],
    )
    [step] = [s for s in call.steps if s.type == "function_call"]
    assert (step.name, step.arguments) == (
        "generate_image",
        {"prompt": "make it watercolour", "use_attached_photos": True},
    )
    after = await client.aio.interactions.create(
        model=CHAT,
        previous_interaction_id=call.id,
        input=[
            {
                "type": "function_result",
                "call_id": step.id,
                "name": step.name,
                "result": "The picture was made and is now shown to the user.",
            }
        ],
        tools=[tool],
    )
    assert after.output_text == "Here is your picture."


async def test_an_edit_starts_from_the_photo_sent(client):
    photo = base64.b64encode(_photo()).decode()
    edited = await client.aio.interactions.create(
        model=IMAGE,
        input=[
            {"type": "text", "text": "make it watercolour"},
            {"type": "image", "data": photo, "mime_type": "image/png"},
        ],
        response_format=[{"type": "image", "aspect_ratio": "1:1", "image_size": "1K"}],
    )
    with Image.open(io.BytesIO(base64.b64decode(edited.output_image.data))) as picture:
        assert picture.size == (512, 512)
        top = picture.convert("RGB").getpixel((256, 10))
    assert top[0] > top[2]  # the red photo, warmed: still red, not the drawn gradient


async def test_without_espeak_the_tone_is_short():
    media = DemoMedia(find_espeak=False)
    request = SpeechRequest("a long answer " * 50, "Kore", "en", seconds=16.0)
    pcm = await media.speech(request)
    assert len(pcm) / 2 / SAMPLE_RATE <= TONE_SECONDS


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (220, 30, 30)).save(out, format="PNG")
    return out.getvalue()


async def test_the_demo_model_quotes_the_page_of_a_pdf_asked_about(client):
    pdf = base64.b64encode(make_pdf(["Cover", "Prices rose 3%."])).decode()
    answer = await client.aio.interactions.create(
        model=CHAT,
        input=[
            {"type": "text", "text": "что на странице 2? page 2"},
            {"type": "text", "text": "File: prices.pdf"},
            {"type": "document", "data": pdf, "mime_type": "application/pdf"},
        ],
    )
    quote, note = answer.output_text.split("\n\n")
    assert quote == 'prices.pdf, page 2: "Prices rose 3%." (p. 2)'
    assert note.startswith("Демо-модель лишь цитирует файлы")
