"""Interactions API state and wire shapes (`google/genai/_gaos/types/interactions/`).

A `create` answer holds only model steps (`thought` with a signature, then `model_output`;
grounded answers put `google_search_call` and `google_search_result` in between); `get`
returns the `user_input` steps too. Safety blocks are answered as `status: "failed"` with
`errors: [{"code": "safety" | "image_safety", "message": …}]` and no model steps (non-stream),
or as an `error` event with that code (stream): the codes of the "generation blocked" table
in the Interactions error reference.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .answer import BLOCK_MESSAGE, Answer
from .errors import interactions_code
from .media import PCM_MIME_INTERACTIONS, PNG_MIME, SAMPLE_RATE, encode_b64, wav_from_pcm
from .parsing import Json, MediaBlock, Turn

Event = tuple[Json, bool]
"""An SSE event and whether the stream paces (`chunk_delay`) before sending it."""


def new_interaction_id() -> str:
    return f"v1_{secrets.token_hex(12)}"


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class StoredInteraction:
    """One interaction as the fake keeps it (input parsed, media decoded to bytes)."""

    id: str
    model: str | None
    previous_interaction_id: str | None
    input: Any
    input_steps: list[Json]
    input_turns: list[Turn]
    output_steps: list[Json] = field(default_factory=list)
    output_turns: list[Turn] = field(default_factory=list)
    status: str = "completed"
    errors: list[Json] = field(default_factory=list)
    usage: Json = field(default_factory=dict)
    system_instruction: str | None = None
    tools: list[Json] | None = None
    generation_config: Json | None = None
    created: str = field(default_factory=now_iso)
    updated: str = field(default_factory=now_iso)
    answer: Answer | None = field(default=None, repr=False)
    """What the model produced, kept to replay the stream on `get(stream=True)`."""

    @property
    def user_texts(self) -> list[str]:
        return [t.text for t in self.input_turns if t.role == "user"]

    @property
    def media(self) -> list[MediaBlock]:
        """Decoded media of the input, in order (compare `.data` byte for byte)."""
        return [m for t in self.input_turns for m in t.media]

    @property
    def turns(self) -> list[Turn]:
        return [*self.input_turns, *self.output_turns]


def output_steps(
    answer: Answer, interaction_id: str, *, wav: bool, summary: str | None = None
) -> list[Json]:
    """The model steps of an answer; speech is WAV when `wav`, else PCM s16le. `summary` is the
    thought summary (asked for with `generation_config.thinking_summaries: "auto"`)."""
    if answer.blocked:
        return []
    steps: list[Json] = []
    if answer.kind != "audio":
        signature = encode_b64(f"fake-thought:{interaction_id}".encode())
        thought: Json = {"type": "thought", "signature": signature}
        if summary:
            thought["summary"] = [{"type": "text", "text": summary}]
        steps.append(thought)
    if answer.grounding is not None:
        call_id = f"gs_{interaction_id[-8:]}"
        steps.append(
            {
                "type": "google_search_call",
                "id": call_id,
                "arguments": {"queries": list(answer.grounding.queries)},
                "search_type": "web_search",
            }
        )
        chips = "".join(
            f"<a href='{url}'>{title}</a>" for url, title in answer.grounding.unique_sources()
        )
        steps.append(
            {
                "type": "google_search_result",
                "call_id": call_id,
                "result": [{"search_suggestions": f"<div class='fake-search'>{chips}</div>"}],
            }
        )
    if answer.pages:
        call_id = f"uc_{interaction_id[-8:]}"
        urls = [page.url for page in answer.pages]
        steps.append({"type": "url_context_call", "id": call_id, "arguments": {"urls": urls}})
        result = [{"url": page.url, "status": page.status} for page in answer.pages]
        steps.append({"type": "url_context_result", "call_id": call_id, "result": result})
    if answer.function_call is not None:
        name, arguments = answer.function_call
        steps.append(
            {
                "type": "function_call",
                "id": f"call_{interaction_id[-8:]}",
                "name": name,
                "arguments": arguments,
            }
        )
        return steps
    content: list[Json] = []
    if answer.text:
        block: Json = {"type": "text", "text": answer.text}
        if answer.citations:
            block["annotations"] = citation_annotations(answer)
        content.append(block)
    if answer.image_png is not None:
        content.append(
            {"type": "image", "data": encode_b64(answer.image_png), "mime_type": PNG_MIME}
        )
    if answer.speech_pcm is not None:
        content.append(audio_block(answer.speech_pcm, wav=wav))
    steps.append({"type": "model_output", "content": content})
    return steps


def audio_block(pcm: bytes, *, wav: bool) -> Json:
    if wav:
        return {"type": "audio", "data": encode_b64(wav_from_pcm(pcm)), "mime_type": "audio/wav"}
    return {
        "type": "audio",
        "data": encode_b64(pcm),
        "mime_type": PCM_MIME_INTERACTIONS,
        "sample_rate": SAMPLE_RATE,
        "channels": 1,
    }


def citation_annotations(answer: Answer) -> list[Json]:
    """`url_citation` annotations (`_gaos/types/interactions/urlcitation.py`), byte offsets:
    the search grounding's, then the pages read's."""
    return [
        {
            "type": "url_citation",
            "url": c.url,
            "title": c.title,
            "start_index": c.start,
            "end_index": c.end,
        }
        for c in answer.citations
    ]


def status_of(answer: Answer) -> tuple[str, list[Json]]:
    """Interaction status and `errors` for a finished (non-stream) answer."""
    if answer.blocked:
        return "failed", [{"code": answer.block_code or "safety", "message": BLOCK_MESSAGE}]
    if answer.finish == "error":
        return "failed", [{"code": "api_error", "message": "Internal error encountered."}]
    if answer.finish == "max_tokens":
        return "incomplete", []
    if answer.function_call is not None:
        return "requires_action", []
    return "completed", []


def usage(input_turns: list[Turn], answer: Answer) -> Json:
    """Rough token counts: four characters a token, 258 per input image."""
    text_in = sum(len(t.text) for t in input_turns)
    media_in = sum(258 for t in input_turns for m in t.media)
    input_tokens = text_in // 4 + 1 + media_in
    output_tokens = len(answer.text) // 4 + (len(answer.speech_pcm or b"") // 1500)
    if answer.image_png is not None:
        output_tokens += 1290
    thought_tokens = 0 if answer.kind == "audio" else 8
    return {
        "total_input_tokens": input_tokens,
        "total_output_tokens": output_tokens,
        "total_thought_tokens": thought_tokens,
        "total_cached_tokens": 0,
        "total_tool_use_tokens": 0,
        "total_tokens": input_tokens + output_tokens + thought_tokens,
    }


def interaction_json(
    stored: StoredInteraction, *, with_input_steps: bool, with_input: bool = False
) -> Json:
    """The Interaction resource; `with_input_steps` for `get` (user_input steps first)."""
    steps = [*stored.input_steps, *stored.output_steps] if with_input_steps else stored.output_steps
    body: Json = {
        "id": stored.id,
        "object": "interaction",
        "model": stored.model,
        "status": stored.status,
        "created": stored.created,
        "updated": stored.updated,
        "usage": stored.usage,
        "steps": steps,
    }
    if stored.previous_interaction_id:
        body["previous_interaction_id"] = stored.previous_interaction_id
    if stored.system_instruction is not None:
        body["system_instruction"] = stored.system_instruction
    if stored.errors:
        body["errors"] = stored.errors
    if with_input and stored.input is not None:
        body["input"] = stored.input
    return body


def stream_events(
    stored: StoredInteraction,
    answer: Answer,
    *,
    error_status: int | None = None,
    error_message: str | None = None,
) -> list[Event]:
    """SSE events for a streamed create (or a `get(stream=True)` replay).

    `error_status` (or a `[[stream_error]]` / finish "error" answer) cuts the text after about
    half its chunks and ends with an `error` event instead of `interaction.completed`.
    """
    events: list[Event] = [
        (
            {
                "event_type": "interaction.created",
                "interaction": {
                    "id": stored.id,
                    "object": "interaction",
                    "status": "in_progress",
                    "model": stored.model,
                    "created": stored.created,
                },
            },
            False,
        )
    ]
    if answer.blocked:
        code = answer.block_code or "safety"
        events.append(
            ({"event_type": "error", "error": {"code": code, "message": BLOCK_MESSAGE}}, False)
        )
        return _numbered(events)
    failing = error_status is not None or answer.stream_error or answer.finish == "error"
    for index, step in enumerate(stored.output_steps):
        events.extend(_step_events(index, step, answer, cut=failing))
        if failing and step["type"] == "model_output":
            status = error_status or 500
            message = error_message or "Internal error encountered mid-stream."
            error = {"code": interactions_code(status), "message": message}
            events.append(({"event_type": "error", "error": error}, True))
            return _numbered(events)
    completed = {
        "id": stored.id,
        "object": "interaction",
        "status": stored.status,
        "model": stored.model,
        "created": stored.created,
        "updated": stored.updated,
        "usage": stored.usage,
    }
    events.append(({"event_type": "interaction.completed", "interaction": completed}, False))
    return _numbered(events)


def _step_events(index: int, step: Json, answer: Answer, *, cut: bool) -> list[Event]:
    kind = step["type"]
    if kind == "thought":
        delta = {"type": "thought_signature", "signature": step.get("signature", "")}
        summaries = [
            _delta(index, {"type": "thought_summary", "content": block})
            for block in step.get("summary", [])
        ]
        return [
            ({"event_type": "step.start", "index": index, "step": {"type": "thought"}}, False),
            *summaries,
            ({"event_type": "step.delta", "index": index, "delta": delta}, False),
            ({"event_type": "step.stop", "index": index}, False),
        ]
    if kind != "model_output":
        return [
            ({"event_type": "step.start", "index": index, "step": step}, False),
            ({"event_type": "step.stop", "index": index}, False),
        ]
    events: list[Event] = [
        ({"event_type": "step.start", "index": index, "step": {"type": "model_output"}}, False)
    ]
    chunks = partial_chunks(answer) if cut else (answer.chunks if answer.text else [])
    events.extend(_delta(index, {"type": "text", "text": c}) for c in chunks)
    if cut:
        return events
    if answer.citations:
        cited = {"type": "text_annotation_delta", "annotations": citation_annotations(answer)}
        events.append(_delta(index, cited))
    if answer.image_png is not None:
        image = {"type": "image", "data": encode_b64(answer.image_png), "mime_type": PNG_MIME}
        events.append(_delta(index, image))
    if answer.speech_pcm is not None:
        events.extend(
            _delta(index, audio_block(part, wav=False)) for part in _pcm_parts(answer.speech_pcm)
        )
    events.append(({"event_type": "step.stop", "index": index}, False))
    return events


def partial_chunks(answer: Answer) -> list[str]:
    """The text chunks a failing stream still sends: about the first half."""
    chunks = answer.chunks if answer.text else []
    return chunks[: max(1, len(chunks) // 2)]


def cut_to_partial(stored: StoredInteraction, answer: Answer) -> None:
    """Make a failed stream's stored output hold only the text that was streamed."""
    partial = "".join(partial_chunks(answer))
    for step in stored.output_steps:
        if step["type"] == "model_output":
            step["content"] = [{"type": "text", "text": partial}] if partial else []
    stored.output_turns = [Turn(role="model", texts=[partial])] if partial else []


def _delta(index: int, delta: Json) -> Event:
    delta_event: Json = {"event_type": "step.delta", "index": index, "delta": delta}
    return delta_event, True


def _pcm_parts(pcm: bytes, seconds: float = 0.5) -> list[bytes]:
    """Split PCM s16le into pieces of `seconds` (as a streaming TTS model sends them)."""
    size = 2 * round(SAMPLE_RATE * seconds)
    return [pcm[start : start + size] for start in range(0, len(pcm), size)]


def _numbered(events: list[Event]) -> list[Event]:
    for number, (event, _pace) in enumerate(events, start=1):
        event["event_id"] = str(number)
    return events
