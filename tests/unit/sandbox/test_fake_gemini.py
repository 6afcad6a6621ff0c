"""The fake Gemini server driven by the real google-genai SDK: the Interactions API."""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from google import genai
from google.genai import _interactions, types

from telegemini.sandbox.fake_gemini import (
    BAD_KEY,
    SEARCH_SOURCES,
    FakeGeminiServer,
    Fault,
    RequestContext,
    ScriptedReply,
    pcm_samples,
    png_dimensions,
    speech_seconds,
)

CHAT = "gemini-3.1-flash-lite"
TTS = "gemini-3.8-flash-lite-tts"
IMAGE = "gemini-3-pro-image"


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


async def collect(stream: Any) -> list[Any]:
    return [event async for event in stream]


def delta_text(events: list[Any]) -> str:
    return "".join(
        e.delta.text for e in events if e.event_type == "step.delta" and e.delta.type == "text"
    )


# --- conversation memory ----------------------------------------------------------------


async def test_chain_carries_earlier_user_turns(server, client):
    first = await client.aio.interactions.create(model=CHAT, input="Hello")
    second = await client.aio.interactions.create(
        model=CHAT, input="How are you?", previous_interaction_id=first.id
    )
    third = await client.aio.interactions.create(
        model=CHAT, input=[{"type": "text", "text": "Bye"}], previous_interaction_id=second.id
    )

    assert first.output_text == "You said: Hello"
    assert second.output_text == "You said: How are you?\n\nEarlier you said: Hello"
    assert third.output_text == "You said: Bye\n\nEarlier you said: Hello | How are you?"
    assert first.id.startswith("v1_")
    assert [s.type for s in first.steps] == ["thought", "model_output"]
    assert first.status == "completed"
    assert first.usage.total_tokens > 0
    assert [b.get("previous_interaction_id") for b in server.interaction_requests()] == [
        None,
        first.id,
        second.id,
    ]
    assert server.interactions[third.id].user_texts == ["Bye"]


async def test_seeded_transcript_steps_count_as_earlier_turns(server, client):
    seeded = await client.aio.interactions.create(
        model=CHAT,
        input=[
            {"type": "user_input", "content": [{"type": "text", "text": "Alpha"}]},
            {"type": "model_output", "content": [{"type": "text", "text": "Noted."}]},
            {"type": "user_input", "content": [{"type": "text", "text": "Beta"}]},
        ],
    )
    follow_up = await client.aio.interactions.create(
        model=CHAT, input="Gamma", previous_interaction_id=seeded.id
    )

    assert seeded.output_text == "You said: Beta\n\nEarlier you said: Alpha"
    assert follow_up.output_text == "You said: Gamma\n\nEarlier you said: Alpha | Beta"
    assert [t.role for t in server.interactions[seeded.id].input_turns] == ["user", "model", "user"]


async def test_get_cancel_delete(server, client):
    created = await client.aio.interactions.create(
        model=CHAT, input="Keep me", system_instruction="Be brief."
    )

    fetched = await client.aio.interactions.get(created.id, include_input=True)
    cancelled = await client.aio.interactions.cancel(created.id)
    await client.aio.interactions.delete(created.id)

    assert [s.type for s in fetched.steps] == ["user_input", "thought", "model_output"]
    assert fetched.output_text == "You said: Keep me"
    assert fetched.system_instruction == "Be brief."
    assert cancelled.status == "completed"
    with pytest.raises(_interactions.NotFoundError):
        await client.aio.interactions.get(created.id)


async def test_unknown_or_forgotten_previous_id_is_not_found(server, client):
    with pytest.raises(_interactions.NotFoundError) as unknown:
        await client.aio.interactions.create(
            model=CHAT, input="Hi", previous_interaction_id="v1_missing"
        )
    first = await client.aio.interactions.create(model=CHAT, input="Hi")
    server.forget_interactions()
    with pytest.raises(_interactions.NotFoundError):
        await client.aio.interactions.create(
            model=CHAT, input="Again", previous_interaction_id=first.id
        )

    assert unknown.value.status_code == 404
    assert unknown.value.body["error"]["code"] == "not_found"


async def test_store_false_keeps_nothing(server, client):
    created = await client.aio.interactions.create(model=CHAT, input="Secret", store=False)

    assert created.output_text == "You said: Secret"
    assert server.interactions == {}
    with pytest.raises(_interactions.NotFoundError):
        await client.aio.interactions.create(
            model=CHAT, input="Next", previous_interaction_id=created.id
        )


# --- streaming --------------------------------------------------------------------------


async def test_stream_event_order_and_text(server, client):
    first = await client.aio.interactions.create(model=CHAT, input="one")
    text = "please stream a reasonably long sentence made of many small words for me"
    events = await collect(
        await client.aio.interactions.create(
            model=CHAT, input=text, previous_interaction_id=first.id, stream=True
        )
    )

    kinds = [e.event_type for e in events]
    assert kinds[:5] == [
        "interaction.created",
        "step.start",
        "step.delta",
        "step.stop",
        "step.start",
    ]
    assert kinds[-2:] == ["step.stop", "interaction.completed"]
    text_deltas = [e for e in events if e.event_type == "step.delta" and e.delta.type == "text"]
    assert 3 <= len(text_deltas) <= 8
    assert delta_text(events) == f"You said: {text}\n\nEarlier you said: one"
    assert events[1].step.type == "thought"
    assert events[4].step.type == "model_output"
    completed = events[-1].interaction
    assert completed.status == "completed"
    assert completed.usage.total_tokens > 0
    assert completed.id in server.interactions
    assert server.requests[-1].headers["accept"] == "text/event-stream"


async def test_stream_error_token_yields_error_event(server, client):
    events = await collect(
        await client.aio.interactions.create(
            model=CHAT, input="tell me a long story please [[stream_error]]", stream=True
        )
    )

    assert events[-1].event_type == "error"
    assert events[-1].error.code == "api_error"
    assert "interaction.completed" not in [e.event_type for e in events]
    assert 0 < len(delta_text(events)) < len("You said: tell me a long story please")
    stored = server.interactions[events[0].interaction.id]
    assert stored.status == "failed"
    assert stored.output_turns[0].text == delta_text(events)


async def test_mid_stream_fault_and_scripted_chunks(server, client):
    server.faults.add(Fault(status=503, mid_stream=True, match="interactions"))
    server.script.enqueue(ScriptedReply(chunks=["Hel", "lo ", "wor", "ld"]))
    failed = await collect(await client.aio.interactions.create(model=CHAT, input="a", stream=True))
    server.script.enqueue(ScriptedReply(chunks=["Hel", "lo ", "wor", "ld"]))
    scripted = await collect(
        await client.aio.interactions.create(model=CHAT, input="b", stream=True)
    )

    assert failed[-1].event_type == "error"
    assert failed[-1].error.code == "service_unavailable"
    assert delta_text(failed) == "Hello "
    texts = [
        e.delta.text for e in scripted if e.event_type == "step.delta" and e.delta.type == "text"
    ]
    assert texts == ["Hel", "lo ", "wor", "ld"]


# --- errors -----------------------------------------------------------------------------


async def test_rate_limit_carries_retry_after(server, client):
    server.faults.add(Fault(status=429, retry_after=0.01, match="/interactions"))
    with pytest.raises(_interactions.RateLimitError) as fault:
        await client.aio.interactions.create(model=CHAT, input="Hi")
    with pytest.raises(_interactions.RateLimitError) as magic:
        await client.aio.interactions.create(model=CHAT, input="Hi [[fail:429]]")
    with pytest.raises(_interactions.RateLimitError) as custom:
        await client.aio.interactions.create(model=CHAT, input="Hi [[fail:429:0.25]]")

    assert fault.value.response.headers["retry-after"] == "0.01"
    assert fault.value.body["error"]["code"] == "rate_limit_exceeded"
    assert magic.value.response.headers["retry-after"] == "1"
    assert custom.value.response.headers["retry-after"] == "0.25"
    assert server.faults.pending() == []


async def test_server_errors_and_google_style_fault(server, client):
    with pytest.raises(_interactions.InternalServerError) as unavailable:
        await client.aio.interactions.create(model=CHAT, input="[[fail:503]]")
    server.faults.add(Fault(status=500, style="google"))
    with pytest.raises(_interactions.InternalServerError) as internal:
        await client.aio.interactions.create(model=CHAT, input="Hi")

    assert unavailable.value.status_code == 503
    assert internal.value.status_code == 500
    assert internal.value.body["error"]["status"] == "INTERNAL"


async def test_bad_key_is_rejected(server):
    bad = make_client(server, key=BAD_KEY)
    try:
        with pytest.raises(_interactions.BadRequestError) as rejected:
            await bad.aio.interactions.create(model=CHAT, input="Hi")
    finally:
        await bad.aio.aclose()

    assert rejected.value.status_code == 400
    assert "API key not valid" in str(rejected.value.body)
    assert server.requests[-1].headers["x-goog-api-key"] == BAD_KEY


async def test_hang_token_lets_the_client_time_out(server, client):
    with pytest.raises(_interactions.APITimeoutError):
        await client.aio.interactions.create(model=CHAT, input="[[hang:2]] slow", timeout=0.2)


async def test_latency_delays_answers(server, client):
    server.latency = 0.15
    started = asyncio.get_running_loop().time()
    await client.aio.interactions.create(model=CHAT, input="Hi")

    assert asyncio.get_running_loop().time() - started >= 0.15


# --- media ------------------------------------------------------------------------------


async def test_audio_input_round_trips_byte_for_byte(server, client):
    audio = os.urandom(1000) + b"\xfb\xff\xfe"  # bytes whose base64 has "+" and "/"
    created = await client.aio.interactions.create(
        model=CHAT,
        input=[
            {"type": "audio", "data": base64.b64encode(audio).decode(), "mime_type": "audio/ogg"}
        ],
    )

    stored = server.interactions[created.id]
    assert stored.media[0].data == audio
    assert stored.media[0].mime_type == "audio/ogg"
    assert created.output_text == f"You said: [audio audio/ogg {len(audio)} bytes]"


async def test_tts_returns_pcm_of_expected_length(server, client):
    text = "Hello there, this is a fairly long sentence to speak."
    spoken = await client.aio.interactions.create(
        model=TTS,
        input=text,
        response_modalities=["audio"],
        generation_config={"speech_config": [{"voice": "Puck", "language": "en-US"}]},
    )
    server.tts_format = "wav"
    wav = await client.aio.interactions.create(
        model=TTS, input="Hi", generation_config={"speech_config": [{"voice": "kore"}]}
    )

    audio = spoken.output_audio
    assert audio.mime_type == "audio/l16"
    assert audio.sample_rate == 24000
    assert len(base64.b64decode(audio.data)) == 2 * pcm_samples(speech_seconds(text))
    assert base64.b64decode(wav.output_audio.data)[:4] == b"RIFF"
    assert [r.meta.get("voice") for r in server.requests] == ["Puck", "kore"]


async def test_tts_stream_sends_pcm_deltas(server, client):
    server.tts_format = "wav"  # streaming stays raw PCM, like the 3.8 TTS models
    events = await collect(
        await client.aio.interactions.create(model=TTS, input="Stream me", stream=True)
    )

    audio = b"".join(
        base64.b64decode(e.delta.data)
        for e in events
        if e.event_type == "step.delta" and e.delta.type == "audio"
    )
    assert len(audio) == 2 * pcm_samples(speech_seconds("Stream me"))
    assert events[-1].event_type == "interaction.completed"


async def test_image_follows_aspect_ratio_and_counts_inputs(server, client):
    wide = await client.aio.interactions.create(
        model=IMAGE,
        input="A cat",
        response_format=[{"type": "image", "aspect_ratio": "16:9", "image_size": "2K"}],
    )
    source = base64.b64decode(wide.output_image.data)
    edited = await client.aio.interactions.create(
        model=IMAGE,
        input=[
            {"type": "text", "text": "Make it blue"},
            {"type": "image", "data": base64.b64encode(source).decode(), "mime_type": "image/png"},
        ],
        response_format={"type": "image", "aspect_ratio": "3:4", "image_size": "1K"},
    )

    assert wide.output_image.mime_type == "image/png"
    assert png_dimensions(source) == (128, 72)
    assert png_dimensions(base64.b64decode(edited.output_image.data)) == (48, 64)
    assert "1 input images" in edited.output_text
    assert server.requests[0].meta["logical_size"] == [2048, 1152]
    assert server.interactions[edited.id].media[0].data == source


# --- magic tokens, blocks, scripts, grounding -------------------------------------------


async def test_long_and_markdown_tokens(server, client):
    long = await client.aio.interactions.create(model=CHAT, input="[[long:5000]]")
    markdown = await client.aio.interactions.create(model=CHAT, input="show me [[markdown]]")
    echoed = await client.aio.interactions.create(
        model=CHAT, input="x [[hang:0]]", previous_interaction_id=markdown.id
    )

    assert len(long.output_text) == 5000
    assert long.output_text.startswith("Sentence 1 is here. Sentence 2 is here.")
    assert "\n\n" in long.output_text
    assert "**bold text**" in markdown.output_text
    assert "```" in markdown.output_text
    assert echoed.output_text == "You said: x\n\nEarlier you said: show me"


async def test_blocked_prompt_fails_with_safety_code(server, client):
    blocked = await client.aio.interactions.create(model=CHAT, input="bad things [[blocked]]")
    events = await collect(
        await client.aio.interactions.create(model=CHAT, input="[[blocked]]", stream=True)
    )
    image = await client.aio.interactions.create(
        model=IMAGE, input="[[blocked]]", response_modalities=["image"]
    )

    assert blocked.status == "failed"
    assert [(e.code, bool(e.message)) for e in blocked.errors] == [("safety", True)]
    assert not blocked.output_text
    assert [e.event_type for e in events] == ["interaction.created", "error"]
    assert events[-1].error.code == "safety"
    assert image.errors[0].code == "image_safety"
    assert image.output_image is None


async def test_script_queue_then_responder(server, client):
    seen: list[RequestContext] = []

    def responder(context: RequestContext) -> ScriptedReply:
        seen.append(context)
        return ScriptedReply(text=f"custom: {context.text} after {len(context.history)}")

    server.script.enqueue(
        ScriptedReply(text="first"), ScriptedReply(text="second", finish="max_tokens")
    )
    one = await client.aio.interactions.create(model=CHAT, input="a")
    two = await client.aio.interactions.create(
        model=CHAT, input="b", previous_interaction_id=one.id
    )
    server.script.responder = responder
    three = await client.aio.interactions.create(
        model=CHAT, input="c", previous_interaction_id=two.id, system_instruction="sys"
    )

    assert (one.output_text, two.output_text, three.output_text) == (
        "first",
        "second",
        "custom: c after 2",
    )
    assert two.status == "incomplete"
    assert seen[0].system_instruction == "sys"
    assert seen[0].api == "interactions"


async def test_google_search_grounding(server, client):
    grounded = await client.aio.interactions.create(
        model=CHAT, input="What is in the news today?", tools=[{"type": "google_search"}]
    )
    plain = await client.aio.interactions.create(model=CHAT, input="What is in the news today?")
    events = await collect(
        await client.aio.interactions.create(
            model=CHAT, input="[[search]] cats", tools=[{"type": "google_search"}], stream=True
        )
    )

    kinds = [s.type for s in grounded.steps]
    assert kinds == ["thought", "google_search_call", "google_search_result", "model_output"]
    assert grounded.steps[1].arguments.queries == ["What is in the news today?"]
    annotations = grounded.steps[-1].content[0].annotations
    assert [a.url for a in annotations] == [url for url, _ in SEARCH_SOURCES]
    raw = grounded.output_text.encode()
    assert raw[annotations[1].start_index : annotations[1].end_index].decode() == (
        "A second source offers an analysis."
    )
    assert [s.type for s in plain.steps] == ["thought", "model_output"]
    cited = [
        e
        for e in events
        if e.event_type == "step.delta" and e.delta.type == "text_annotation_delta"
    ]
    assert len(cited[0].delta.annotations) == 3


async def test_wait_for_requests(server, client):
    task = asyncio.create_task(client.aio.interactions.create(model=CHAT, input="Hi"))
    recorded = await server.wait_for_requests(1, match="/interactions")
    await task
    with pytest.raises(TimeoutError, match="expected 5 requests"):
        await server.wait_for_requests(5, match="/interactions", timeout=0.05)

    assert recorded[0].body["input"] == "Hi"
    assert recorded[0].method == "POST"


async def test_api_version_v1beta(server):
    options = types.HttpOptions(
        base_url=server.url,
        api_version="v1beta",
        retry_options=types.HttpRetryOptions(attempts=1),
    )
    client = genai.Client(api_key="k", http_options=options)
    try:
        created = await client.aio.interactions.create(model=CHAT, input="beta")
    finally:
        await client.aio.aclose()

    assert created.output_text == "You said: beta"
    assert server.requests[-1].path == "/v1beta/interactions"


async def test_tts_3_8_takes_speech_metadata_and_rejects_the_old_shapes(server, client):
    blocks = [
        {
            "type": "text",
            "text": "<laugh> That is funny.",
            "annotations": [{"type": "speech_metadata", "style": "warm, amused"}],
        }
    ]
    spoken = await client.aio.interactions.create(
        model=TTS, input=blocks, generation_config={"speech_config": [{"voice": "Kore"}]}
    )
    assert spoken.output_audio is not None
    assert server.requests[-1].meta["styles"] == ["warm, amused"]
    assert "read_aloud" not in server.requests[-1].meta

    for config in ({"speech_config": {"voice": "Kore"}}, {"temperature": 0.7}):
        with pytest.raises(_interactions.BadRequestError):
            await client.aio.interactions.create(model=TTS, input="Hi", generation_config=config)


async def test_tts_3_8_reads_square_bracket_tags_aloud(server, client):
    async def seconds(text: str) -> float:
        await client.aio.interactions.create(
            model=TTS, input=text, generation_config={"speech_config": [{"voice": "Kore"}]}
        )
        return float(server.requests[-1].meta["seconds"])

    plain = await seconds("That is funny, really it is.")
    with_event = await seconds("<laugh> That is funny, really it is.")
    with_square = await seconds("[laughs] That is funny, really it is.")
    assert with_event == plain  # a sound, not words
    assert with_square > plain  # read out as words: a regression is heard
    assert server.requests[-1].meta["read_aloud"] == ["[laughs]"]
