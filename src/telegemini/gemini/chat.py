"""The chat model on Gemini's Interactions API: streamed, chained by ``previous_interaction_id``."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
from collections.abc import AsyncGenerator
from typing import Any

from telegemini.core.models import (
    AudioPart,
    Budget,
    ChatCompleted,
    ChatEvent,
    ChatRequest,
    DocumentPart,
    ImagePart,
    Part,
    Searching,
    Source,
    Started,
    TextDelta,
    TextPart,
    Thinking,
    ToolCall,
    Turn,
)
from telegemini.errors import ModelRefused, UpstreamTimeout, UpstreamUnavailable, UserFacingError
from telegemini.gemini.errors import looks_like_safety, map_exception
from telegemini.gemini.retry import RetryPolicy
from telegemini.gemini.stream import InteractionStreams

log = logging.getLogger(__name__)


PDF = "application/pdf"


def content_blocks(part: Part) -> list[dict[str, Any]]:
    """Interactions content blocks. Media go as base64 *strings*: the SDK corrupts raw bytes.

    A document is named first (``File: report.pdf``) so the model can refer to it by name; a PDF
    follows as a ``document`` block (inline up to 50 MB, above Telegram's 20 MB download cap), a
    text file as text: ``text/plain`` is not among the document block's MIME types."""
    if isinstance(part, TextPart):
        return [{"type": "text", "text": part.text}]
    if isinstance(part, DocumentPart):
        if part.mime_type != PDF:
            text = part.data.decode("utf-8", errors="replace")
            return [{"type": "text", "text": f"File: {part.name}\n\n{text}"}]
        return [{"type": "text", "text": f"File: {part.name}"}, _media("document", part)]
    return [_media("audio" if isinstance(part, AudioPart) else "image", part)]


def content_block(part: Part) -> dict[str, Any]:
    """The one block of a text, audio or image part (a document may need two)."""
    [block] = content_blocks(part)
    return block


def _media(kind: str, part: AudioPart | ImagePart | DocumentPart) -> dict[str, Any]:
    return {
        "type": kind,
        "data": base64.b64encode(part.data).decode("ascii"),
        "mime_type": part.mime_type,
    }


def input_steps(parts: list[Part], history: list[Turn]) -> list[dict[str, Any]]:
    """The new user turn, preceded by earlier turns when a chain is seeded from a transcript."""
    steps: list[dict[str, Any]] = [
        {
            "type": "user_input" if turn.role == "user" else "model_output",
            "content": [{"type": "text", "text": turn.text}],
        }
        for turn in history
    ]
    steps.append({"type": "user_input", "content": [b for p in parts for b in content_blocks(p)]})
    return steps


class GeminiChatModel:
    """``ChatModel`` on streamed Interactions calls (``gemini/stream.py``) with our own
    classified retry policy."""

    def __init__(
        self,
        streams: InteractionStreams,
        *,
        model: str,
        timeout: float,
        retry: RetryPolicy | None = None,
        generation_config: dict[str, Any] | None = None,
    ) -> None:
        self._streams = streams
        self._model = model
        self._timeout = timeout
        self._retry = retry or RetryPolicy()
        self._generation_config = generation_config

    async def stream(self, request: ChatRequest) -> AsyncGenerator[ChatEvent, None]:
        if request.tool_results:
            new_input = [
                {
                    "type": "function_result",
                    "call_id": r.call_id,
                    "name": r.name,
                    "result": r.result,
                }
                for r in request.tool_results
            ]
        else:
            new_input = input_steps(request.parts, [] if request.previous_id else request.history)
        body: dict[str, Any] = {
            "model": self._model,
            "input": new_input,
            # Sent on every turn: previous_interaction_id carries only the history.
            "system_instruction": request.system_instruction,
            "store": request.store,
        }
        if request.previous_id:
            body["previous_interaction_id"] = request.previous_id
        generation_config = dict(self._generation_config or {})
        if request.thinking:  # thought summaries, streamed as thought_summary deltas
            generation_config["thinking_summaries"] = "auto"
        if generation_config:
            body["generation_config"] = generation_config
        tools: list[dict[str, Any]] = [
            {
                "type": "function",
                "name": tool.name,
                "description": tool.description,
                "parameters": tool.parameters,
            }
            for tool in request.tools
        ]
        if request.search:
            tools.append({"type": "google_search"})
        if request.url_context:  # the URLs themselves are in the message text
            tools.append({"type": "url_context"})
        if tools:
            body["tools"] = tools

        budget = request.budget or Budget.starting_now(
            attempts=self._retry.attempts, seconds=self._timeout
        )
        waited = 0.0
        attempt = 1
        while True:
            emitted = False
            left = budget.left()
            if budget.attempts <= 0 or left <= 0:
                raise UpstreamTimeout("no time or attempts left for this answer")
            budget.attempts -= 1
            try:
                # Each attempt gets what is left of the answer's time: a model that hangs is
                # given up on when the user's wait is over, not three timeouts later.
                once = self._stream_once(body, seconds=min(self._timeout, left))
                async with contextlib.aclosing(once) as events:
                    async for event in events:
                        if not emitted and budget.left() <= 0:  # a stream that is writing goes on
                            raise UpstreamTimeout("no answer began in time")  # noqa: TRY301 - mapped below like the SDK's own
                        emitted = emitted or isinstance(event, TextDelta | ToolCall)
                        yield event
                return
            except Exception as exc:
                error = map_exception(exc, model=("CHAT_MODEL", self._model))
                # Once text has been shown, a retry would rewrite it under the user's eyes.
                delay = None if emitted else self._retry.next_delay(attempt, error, waited)
                if delay is not None and (budget.attempts <= 0 or delay >= budget.left()):
                    delay = None
                if delay is None:
                    if error is exc:
                        raise
                    raise error from exc
                log.warning(
                    "gemini %s on attempt %d; retrying in %.2fs",
                    type(error).__name__,
                    attempt,
                    delay,
                )
                waited += delay
                attempt += 1
                await asyncio.sleep(delay)

    async def _stream_once(
        self, body: dict[str, Any], *, seconds: float
    ) -> AsyncGenerator[ChatEvent, None]:
        interaction_id: str | None = None
        pieces: list[str] = []
        calls: dict[int, dict[str, Any]] = {}  # function calls being streamed, by step index
        sources: list[Source] = []
        pages: list[Source] = []  # read with URL context, in order
        model = ("CHAT_MODEL", self._model)
        streamed = self._streams.events(body, seconds=seconds, model=model)
        async with contextlib.aclosing(streamed) as events:
            async for event in events:
                kind = event.get("event_type")
                if kind == "interaction.created":
                    interaction_id = _dict(event.get("interaction")).get("id") or interaction_id
                    if interaction_id:
                        yield Started(interaction_id)
                elif kind == "step.start":
                    step = _dict(event.get("step"))
                    step_type = step.get("type")
                    if step_type in _SEARCH_STEPS:
                        yield Searching()
                    elif step_type == "url_context_result":
                        pages.extend(_pages_read(step))
                    elif step_type == "function_call":
                        calls[event.get("index", -1)] = {
                            "id": step.get("id"),
                            "name": step.get("name"),
                            "arguments": dict(step.get("arguments") or {}),
                            "streamed": "",
                        }
                elif kind == "step.delta":
                    delta = _dict(event.get("delta"))
                    delta_type = delta.get("type")
                    if delta_type == "text" and delta.get("text"):
                        pieces.append(delta["text"])
                        yield TextDelta(delta["text"])
                    elif delta_type == "thought_summary":
                        summary = _dict(delta.get("content")).get("text")
                        if summary:
                            yield Thinking(summary)
                    elif delta_type == "arguments_delta" and event.get("index") in calls:
                        calls[event["index"]]["streamed"] += delta.get("arguments") or ""
                    elif delta_type == "text_annotation_delta":
                        sources.extend(_sources(delta.get("annotations")))
                    elif delta_type == "url_context_result":
                        pages.extend(_pages_read(delta))
                elif kind == "step.stop" and event.get("index") in calls:
                    yield _tool_call(calls.pop(event["index"]))
                elif kind == "interaction.completed":
                    interaction = _dict(event.get("interaction"))
                    interaction_id = interaction.get("id") or interaction_id
                    _raise_for_status(interaction.get("status"), interaction)
                elif kind == "error":
                    raise _error_event(_dict(event.get("error")))
        if not interaction_id:
            raise UpstreamUnavailable("stream ended without an interaction id")
        yield ChatCompleted(
            interaction_id=interaction_id,
            text="".join(pieces),
            sources=tuple(sources),
            pages=tuple(pages),
        )


_SEARCH_STEPS = frozenset({"google_search_call"})


def _dict(value: Any) -> dict[str, Any]:
    """A JSON object of the stream, or {} where the field is missing or of another kind."""
    return value if isinstance(value, dict) else {}


def _pages_read(result: dict[str, Any]) -> list[Source]:
    """The pages a ``url_context_result`` says were fetched (``success``; a page that failed,
    is behind a paywall or unsafe was not read)."""
    if result.get("is_error"):
        return []
    items = result.get("result")
    return [
        Source(url=str(item["url"]))
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict) and item.get("url") and item.get("status") in (None, "success")
    ]


def _sources(annotations: Any) -> list[Source]:
    """Web citations among a text's annotations (other kinds, e.g. file citations, skipped)."""
    found = []
    for annotation in annotations if isinstance(annotations, list) else []:
        if not isinstance(annotation, dict):
            continue
        url = annotation.get("url")
        if annotation.get("type") == "url_citation" and url:
            found.append(Source(url=str(url), title=str(annotation.get("title") or "")))
    return found


def _tool_call(call: dict[str, Any]) -> ToolCall:
    arguments = call["arguments"]
    if call["streamed"]:
        try:
            streamed = json.loads(call["streamed"])
        except ValueError as exc:
            raise UpstreamUnavailable("malformed function call arguments") from exc
        if isinstance(streamed, dict):
            arguments = {**arguments, **streamed}
    return ToolCall(call_id=str(call["id"]), name=str(call["name"]), arguments=arguments)


def _error_event(error: dict[str, Any]) -> UserFacingError:
    message = f"{error.get('code', '')} {error.get('message', '')}".strip()
    if looks_like_safety(message):
        return ModelRefused(message)
    return UpstreamUnavailable(f"stream error: {message}")


def _raise_for_status(status: str | None, interaction: dict[str, Any]) -> None:
    if status in (None, "completed", "incomplete", "requires_action"):
        return
    detail = str(interaction.get("errors") or status)
    if looks_like_safety(detail):
        raise ModelRefused(detail)
    raise UpstreamUnavailable(f"interaction {status}: {detail}")
