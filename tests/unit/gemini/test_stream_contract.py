"""gemini/stream.py makes the streamed chat call without the SDK: it must send what the pinned
google-genai sends and read back what the SDK reads. Both go to the fake server here and are
compared; when the SDK moves (another URL, headers, body or event shapes), these fail."""

from __future__ import annotations

from collections.abc import AsyncIterator
from importlib.metadata import version
from typing import Any

import pytest
from google import genai
from google.genai import types
from google.genai._gaos.sdkconfiguration import SERVERS

from telegemini.errors import ModelMissing, UpstreamBusy
from telegemini.gemini import stream as stream_module
from telegemini.gemini.stream import InteractionStreams
from telegemini.sandbox.fake_gemini import FakeGeminiServer, Fault

CHAT = "gemini-3.5-flash-lite"
KEY = "contract-key"
SENT_HEADERS = ("accept", "content-type", "x-goog-api-key", "x-goog-api-client", "user-agent")

BODIES: list[dict[str, Any]] = [
    {
        "model": CHAT,
        "input": [{"type": "user_input", "content": [{"type": "text", "text": "hi there"}]}],
        "system_instruction": "Be brief.",
        "store": True,
    },
    {
        "model": CHAT,
        "input": [{"type": "user_input", "content": [{"type": "text", "text": "[[search]] news"}]}],
        "system_instruction": "Be brief.",
        "store": True,
        "tools": [{"type": "google_search"}, {"type": "url_context"}],
        "generation_config": {"thinking_summaries": "auto"},
    },
    {
        "model": CHAT,
        "input": [{"type": "user_input", "content": [{"type": "text", "text": "draw a red fox"}]}],
        "system_instruction": "Use tools.",
        "store": False,
        "tools": [
            {
                "type": "function",
                "name": "make_image",
                "description": "Draw a picture.",
                "parameters": {
                    "type": "object",
                    "properties": {"prompt": {"type": "string"}},
                    "required": ["prompt"],
                },
            }
        ],
    },
]


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[FakeGeminiServer]:
    async with FakeGeminiServer() as fake:
        yield fake


@pytest.fixture
async def sdk(server: FakeGeminiServer) -> AsyncIterator[genai.Client]:
    server.reset()
    options = types.HttpOptions(
        base_url=server.url, retry_options=types.HttpRetryOptions(attempts=1)
    )
    client = genai.Client(api_key=KEY, http_options=options)
    yield client
    await client.aio.aclose()


@pytest.fixture
async def ours(server: FakeGeminiServer) -> AsyncIterator[InteractionStreams]:
    streams = InteractionStreams(api_key=KEY, base_url=server.url)
    yield streams
    await streams.close()


def _without_nones(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nones(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nones(v) for v in value]
    return value


def _varying(event: dict[str, Any]) -> dict[str, Any]:
    """An event with what differs between two calls (ids, times, signatures) blanked."""

    def blank(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: ("…" if k in {"id", "call_id", "created", "updated", "signature"} else blank(v))
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [blank(v) for v in value]
        return value

    return blank(event)


def test_the_sdk_version_and_default_server_are_the_ones_checked():
    # When this fails, google-genai moved: compare its interactions request (URL, headers, body)
    # and event types with gemini/stream.py again, then move the pin.
    assert version("google-genai") == "3.3.0"
    assert SERVERS[0] == stream_module.DEFAULT_BASE_URL
    assert genai.__version__ in stream_module.CLIENT_HEADER


@pytest.mark.parametrize("body", BODIES, ids=["text", "search-url-thinking", "function-call"])
async def test_the_same_request_and_the_same_events_as_the_sdk(server, sdk, ours, body):
    sdk_events = []
    stream = await sdk.aio.interactions.create(**body, stream=True)
    async with stream:
        async for event in stream:
            sdk_events.append(event.model_dump(mode="json", exclude_none=True, by_alias=True))
    [via_sdk] = server.requests

    our_events = [event async for event in ours.events(body, seconds=10)]
    via_us = server.requests[-1]

    assert (via_us.method, via_us.path, via_us.query) == (via_sdk.method, via_sdk.path, {})
    assert via_us.path == via_sdk.path
    assert via_us.body == via_sdk.body
    assert {h: via_us.headers.get(h) for h in SENT_HEADERS} == {
        h: via_sdk.headers.get(h) for h in SENT_HEADERS
    }
    assert [_varying(_without_nones(e)) for e in our_events] == [_varying(e) for e in sdk_events]
    assert {e["event_type"] for e in our_events} >= {"interaction.created", "step.delta"}


async def test_http_errors_become_our_errors(server, ours):
    server.faults.add(Fault(status=429, retry_after=7, match="interactions"))
    with pytest.raises(UpstreamBusy) as busy:
        [e async for e in ours.events(BODIES[0], seconds=10)]
    assert busy.value.retry_after == 7

    server.retired_models.add(CHAT)
    with pytest.raises(ModelMissing) as missing:
        [e async for e in ours.events(BODIES[0], seconds=10, model=("CHAT_MODEL", CHAT))]
    assert missing.value.setting == "CHAT_MODEL"


async def test_models_get_and_count_tokens_as_the_sdk_sends_them(server, sdk):
    from telegemini.gemini.rest import GeminiRest

    await sdk.aio.models.count_tokens(model=CHAT, contents="ping")
    await sdk.aio.models.get(model="gemini-omni-1.2-flash")
    async with GeminiRest(api_key=KEY, base_url=server.url) as rest:
        await rest.count_tokens(CHAT, "ping", seconds=10)
        await rest.get_model("gemini-omni-1.2-flash", seconds=10)
    by_sdk, by_us = server.requests[:2], server.requests[2:]
    for theirs, mine in zip(by_sdk, by_us, strict=True):
        assert (mine.method, mine.path, mine.body) == (theirs.method, theirs.path, theirs.body)
        for header in ("x-goog-api-key", "x-goog-api-client"):
            assert mine.headers.get(header) == theirs.headers.get(header)

    server.retired_models.add("gemini-gone")
    async with GeminiRest(api_key=KEY, base_url=server.url) as rest:
        with pytest.raises(ModelMissing) as missing:
            await rest.get_model("gemini-gone", seconds=10, model=("VIDEO_MODEL", "gemini-gone"))
    assert missing.value.setting == "VIDEO_MODEL"
