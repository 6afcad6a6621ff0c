"""The fake Gemini server: generateContent (over the SDK's aiohttp transport), the Files API,
the `/_fake/*` control endpoints, and the deterministic helpers."""

from __future__ import annotations

import base64
import io
import os
from collections.abc import AsyncIterator

import aiohttp
import pytest
from google import genai
from google.genai import errors, types

from telegemini.sandbox.fake_gemini import (
    FakeGeminiServer,
    Fault,
    ScriptedReply,
    decode_b64,
    image_sizes,
    long_reply,
    pcm_samples,
    png_dimensions,
    speech_seconds,
    split_chunks,
)

# google-genai 3.x subclasses aiohttp.ClientSession for its aiohttp transport, which aiohttp
# 3.14 reports as a DeprecationWarning each time a session is created.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Inheritance class AiohttpClientSession from ClientSession:DeprecationWarning"
)

CHAT = "gemini-3.1-flash-lite"


@pytest.fixture
def server(shared_server: FakeGeminiServer) -> FakeGeminiServer:
    shared_server.reset()
    return shared_server


def make_client(server: FakeGeminiServer, key: str = "test-key") -> genai.Client:
    options = types.HttpOptions(
        base_url=server.url, retry_options=types.HttpRetryOptions(attempts=1)
    )
    return genai.Client(api_key=key, http_options=options)


@pytest.fixture
async def client(server: FakeGeminiServer) -> AsyncIterator[genai.Client]:
    client = make_client(server)
    yield client
    await client.aio.aclose()


# --- generateContent --------------------------------------------------------------------


async def test_generate_content_echoes_history(server, client):
    history = [
        types.Content(role="user", parts=[types.Part(text="First")]),
        types.Content(role="model", parts=[types.Part(text="You said: First")]),
        types.Content(role="user", parts=[types.Part(text="Second")]),
    ]
    response = await client.aio.models.generate_content(
        model=CHAT, contents=history, config=types.GenerateContentConfig(system_instruction="Hi")
    )

    assert response.text == "You said: Second\n\nEarlier you said: First"
    assert response.candidates[0].finish_reason == types.FinishReason.STOP
    assert response.usage_metadata.total_token_count > 0
    assert server.requests[-1].path == f"/v1/models/{CHAT}:generateContent"


async def test_generate_content_stream_and_stream_error(server, client):
    chunks = [
        c.text
        async for c in await client.aio.models.generate_content_stream(
            model=CHAT, contents="a stream of several words to split into chunks"
        )
    ]
    received: list[str] = []

    async def consume_failing_stream() -> None:
        async for chunk in await client.aio.models.generate_content_stream(
            model=CHAT, contents="another stream that fails [[stream_error]] midway"
        ):
            received.append(chunk.text)

    with pytest.raises(errors.APIError) as failed:
        await consume_failing_stream()

    assert "".join(chunks) == "You said: a stream of several words to split into chunks"
    assert 3 <= len(chunks) <= 8
    assert received
    assert failed.value.code == 500


async def test_generate_content_errors(server, client):
    with pytest.raises(errors.ClientError) as magic:
        await client.aio.models.generate_content(model=CHAT, contents="[[fail:429]]")
    server.faults.add(Fault(status=429, style="google", retry_after=2, match=":generateContent"))
    with pytest.raises(errors.ClientError) as fault:
        await client.aio.models.generate_content(model=CHAT, contents="Hi")
    with pytest.raises(errors.ServerError) as unavailable:
        await client.aio.models.generate_content(model=CHAT, contents="[[fail:503]]")
    bad = make_client(server, key="bad-key")
    try:
        with pytest.raises(errors.ClientError) as rejected:
            await bad.aio.models.generate_content(model=CHAT, contents="Hi")
    finally:
        await bad.aio.aclose()

    assert (magic.value.code, magic.value.status) == (429, "RESOURCE_EXHAUSTED")
    assert fault.value.code == 429
    assert unavailable.value.status == "UNAVAILABLE"
    assert (rejected.value.code, rejected.value.status) == (400, "INVALID_ARGUMENT")
    assert rejected.value.message == "API key not valid. Please pass a valid API key."
    assert len(server.requests) == 4


async def test_generate_content_audio_input_is_url_safe_and_exact(server, client):
    audio = os.urandom(600) + b"\xfb\xff\xfe"
    response = await client.aio.models.generate_content(
        model=CHAT, contents=[types.Part.from_bytes(data=audio, mime_type="audio/ogg")]
    )

    sent = server.requests[-1].body["contents"][0]["parts"][0]["inlineData"]["data"]
    assert decode_b64(sent) == audio
    assert response.text == f"You said: [audio audio/ogg {len(audio)} bytes]"


async def test_generate_content_tts(server, client):
    config = types.GenerateContentConfig(
        response_modalities=["AUDIO"],
        speech_config=types.SpeechConfig(
            voice_config=types.VoiceConfig(
                prebuilt_voice_config=types.PrebuiltVoiceConfig(voice_name="Charon")
            )
        ),
    )
    pcm = await client.aio.models.generate_content(
        model="gemini-3.8-flash-tts", contents="Say it", config=config
    )
    server.tts_format = "wav"
    wav = await client.aio.models.generate_content(
        model="gemini-3.8-flash-tts", contents="Say it", config=config
    )

    blob = pcm.candidates[0].content.parts[0].inline_data
    assert blob.mime_type == "audio/L16;codec=pcm;rate=24000"
    assert len(blob.data) == 2 * pcm_samples(speech_seconds("Say it"))
    assert wav.candidates[0].content.parts[0].inline_data.data[:4] == b"RIFF"
    assert server.requests[0].meta["voice"] == "Charon"


async def test_generate_content_image_and_block(server, client):
    config = types.GenerateContentConfig(
        response_modalities=["TEXT", "IMAGE"],
        image_config=types.ImageConfig(aspect_ratio="9:16", image_size="4K"),
    )
    image = await client.aio.models.generate_content(
        model="gemini-3-pro-image", contents="A tall tower", config=config
    )
    blocked_image = await client.aio.models.generate_content(
        model="gemini-3-pro-image", contents="[[blocked]]", config=config
    )
    blocked_text = await client.aio.models.generate_content(model=CHAT, contents="[[blocked]]")

    parts = image.candidates[0].content.parts
    assert parts[0].text.startswith("Here is your image (9:16, 4K, 0 input images)")
    assert png_dimensions(parts[1].inline_data.data) == (144, 256)
    assert server.requests[0].meta["logical_size"] == [2304, 4096]
    assert blocked_image.candidates[0].finish_reason == types.FinishReason.IMAGE_SAFETY
    assert blocked_text.prompt_feedback.block_reason == types.BlockedReason.SAFETY
    assert not blocked_text.candidates


async def test_generate_content_grounding(server, client):
    config = types.GenerateContentConfig(tools=[types.Tool(google_search=types.GoogleSearch())])
    response = await client.aio.models.generate_content(
        model=CHAT, contents="Any news about cats?", config=config
    )

    metadata = response.candidates[0].grounding_metadata
    uris = [chunk.web.uri for chunk in metadata.grounding_chunks]
    assert len(uris) == 3
    assert len(set(uris)) == 2
    support = metadata.grounding_supports[2]
    raw = response.text.encode()
    assert raw[support.segment.start_index : support.segment.end_index].decode() == (
        support.segment.text
    )
    assert metadata.web_search_queries == ["Any news about cats?"]


async def test_count_tokens_and_script(server, client):
    counted = await client.aio.models.count_tokens(model=CHAT, contents="x" * 40)
    server.script.enqueue(ScriptedReply(text="scripted"))
    scripted = await client.aio.models.generate_content(model=CHAT, contents="Hi")

    assert counted.total_tokens == 11
    assert scripted.text == "scripted"


# --- files ------------------------------------------------------------------------------


async def test_file_upload_then_use_and_delete(server, client):
    audio = os.urandom(3000)
    uploaded = await client.aio.files.upload(
        file=io.BytesIO(audio), config=types.UploadFileConfig(mime_type="audio/ogg")
    )
    fetched = await client.aio.files.get(name=uploaded.name)
    response = await client.aio.models.generate_content(
        model=CHAT,
        contents=[types.Part.from_uri(file_uri=uploaded.uri, mime_type="audio/ogg")],
    )
    await client.aio.files.delete(name=uploaded.name)

    assert fetched.size_bytes == len(audio)
    assert fetched.state == types.FileState.ACTIVE
    assert response.text == f"You said: [audio audio/ogg {len(audio)} bytes]"
    assert server.state.files == {}


# --- control endpoints ------------------------------------------------------------------


async def test_control_endpoints(server):
    async with aiohttp.ClientSession(base_url=server.url) as http:
        queued = await http.post("/_fake/faults", json={"status": 503, "match": "interactions"})
        failed = await http.post(
            "/v1/interactions", json={"model": CHAT, "input": "Hi"}, headers={"x-goog-api-key": "k"}
        )
        scripted = await http.post("/_fake/script", json=[{"text": "from script"}])
        answered = await http.post(
            "/v1/interactions", json={"model": CHAT, "input": "Hi"}, headers={"x-goog-api-key": "k"}
        )
        keyless = await http.post("/v1/interactions", json={"model": CHAT, "input": "Hi"})
        log = await (await http.get("/_fake/requests", params={"match": "interactions"})).json()
        invalid = await http.post("/_fake/faults", json={"bogus": 1})
        await http.post("/_fake/reset")

        assert (await queued.json()) == {"pending": 1}
        assert failed.status == 503
        assert (await failed.json())["error"]["code"] == "service_unavailable"
        assert (await scripted.json()) == {"pending": 1}
        assert (await answered.json())["steps"][-1]["content"][0]["text"] == "from script"
        assert keyless.status == 403
        assert [r["path"] for r in log["requests"]] == ["/v1/interactions"] * 3
        assert invalid.status == 400
    assert server.requests == []


# --- helpers ----------------------------------------------------------------------------


def test_decode_b64_accepts_both_alphabets_with_or_without_padding():
    data = b"\xfb\xff\xfe\x00ab"
    standard = base64.b64encode(data).decode()
    url_safe = base64.urlsafe_b64encode(data).decode().rstrip("=")

    assert decode_b64(standard) == data
    assert decode_b64(url_safe) == data


def test_split_chunks_and_long_reply():
    text = long_reply(777)
    chunks = split_chunks(text)

    assert len(text) == 777
    assert "".join(chunks) == text
    assert 3 <= len(chunks) <= 8
    assert split_chunks("two words") == ["two ", "words"]


@pytest.mark.parametrize(
    ("aspect", "size", "pixels"),
    [
        ("1:1", "1K", (64, 64)),
        ("16:9", "2K", (128, 72)),
        ("4:3", "4K", (256, 192)),
        (None, None, (64, 64)),
    ],
)
def test_image_sizes(aspect, size, pixels):
    assert image_sizes(aspect, size).pixels == pixels
