"""The demo model through the real google-genai SDK: exact answers, memory, speech, pictures."""

from __future__ import annotations

import base64
import stat
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from google import genai
from google.genai import types

from telegemini.sandbox.demo import demo_server
from telegemini.sandbox.demo_media import DemoMedia
from telegemini.sandbox.fake_gemini import FakeGeminiServer, png_dimensions

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
