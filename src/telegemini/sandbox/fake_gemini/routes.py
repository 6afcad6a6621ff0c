"""Route handlers for model calls: Interactions create/get/cancel/delete and
generateContent/streamGenerateContent/countTokens. Authentication, recording and queued
faults are handled before these run (see `server.py`).
"""

from __future__ import annotations

import asyncio
import json
import time

from aiohttp import web

from . import tts
from .answer import Answer, compose_answer
from .content import count_tokens, generate_response, model_from_path, stream_chunks
from .errors import ErrorStyle, error_body, error_response, interactions_code
from .hooks import apply_media, image_inputs
from .interactions import (
    Event,
    StoredInteraction,
    cut_to_partial,
    interaction_json,
    new_interaction_id,
    output_steps,
    status_of,
    stream_events,
    usage,
)
from .media import MediaDecodeError
from .options import OutputRequest, generate_content_request, interactions_request
from .parsing import Json, Turn, contents_to_turns, input_steps, steps_to_turns, system_text
from .parsing import user_turns as user_turn_texts
from .script import ApiName, Fault, RequestContext, parse_magic, strip_magic
from .state import RecordedRequest, ServerState, UnknownInteractionError
from .video import advance as advance_video
from .video import create as create_video
from .video import is_video_request

API_VERSIONS = ("v1", "v1beta", "v1alpha")

BODY_KEY = web.RequestKey("fake_gemini_body", object)
RECORD_KEY = web.RequestKey("fake_gemini_record", RecordedRequest)
FAULT_KEY = web.RequestKey("fake_gemini_fault", Fault)

_DECODE_ERROR = "Invalid value at 'data' (TYPE_BYTES), Base64 decoding failed."


def build_context(
    api: ApiName,
    model: str,
    turns: list[Turn],
    body: Json,
    system: str | None,
    *,
    stream: bool,
) -> tuple[RequestContext, str]:
    """The responder context and the raw latest user text (magic tokens kept)."""
    texts = user_turn_texts(turns)
    raw_latest = texts[-1] if texts else ""
    context = RequestContext(
        api=api,
        model=model,
        text=strip_magic(raw_latest),
        history=tuple(strip_magic(t) for t in texts[:-1]),
        turns=tuple(turns),
        system_instruction=system,
        body=body,
        stream=stream,
    )
    return context, raw_latest


class ModelRoutes:
    """Handlers of the model endpoints, sharing one `ServerState`."""

    def __init__(self, state: ServerState) -> None:
        self.state = state

    def add_to(self, app: web.Application) -> None:
        for version in API_VERSIONS:
            app.router.add_post(f"/{version}/interactions", self.create_interaction)
            app.router.add_get(f"/{version}/interactions/{{id}}", self.get_interaction)
            app.router.add_post(f"/{version}/interactions/{{id}}/cancel", self.cancel_interaction)
            app.router.add_delete(f"/{version}/interactions/{{id}}", self.delete_interaction)
            app.router.add_post(f"/{version}/models/{{tail:.+}}", self.models_action)
            app.router.add_get(f"/{version}/models/{{name}}", self.get_model)

    # --- shared pipeline -----------------------------------------------------------------

    async def _answer(
        self,
        request: web.Request,
        context: RequestContext,
        raw_latest: str,
        output: OutputRequest,
        style: ErrorStyle,
    ) -> Answer | web.Response:
        """Apply magic tokens and latency, then compose the answer (or an error response)."""
        magic = parse_magic(raw_latest)
        record = request[RECORD_KEY]
        if magic.tokens:
            record.meta["magic"] = magic.tokens
        if magic.fail_status is not None:
            return error_response(magic.fail_status, style=style, retry_after=magic.retry_after)
        if self.state.latency + magic.hang > 0:
            await asyncio.sleep(self.state.latency + magic.hang)
        answer = compose_answer(context, output, magic, self.state.script, self.state.speech)
        if self.state.media is not None:
            references = image_inputs(context.turns)
            await apply_media(self.state.media, answer, context.text, output, references=references)
        record.meta.update(answer.meta)
        if answer.delay > 0:
            await asyncio.sleep(answer.delay)
        return answer

    async def _write_sse(
        self, request: web.Request, frames: list[tuple[str, bool, bool]], error_delay: float
    ) -> web.StreamResponse:
        """Send pre-encoded frames `(text, pace, is_error)`; pace waits `chunk_delay` first."""
        response = web.StreamResponse(status=200, headers={"cache-control": "no-cache"})
        response.content_type = "text/event-stream"
        await response.prepare(request)
        # How the stream ended, for tests of stopping: "complete", or "cut" when the client
        # closed it first (then no more was generated); `stream_ended_at` is time.monotonic().
        meta = request[RECORD_KEY].meta
        meta["stream_end"] = "cut"
        try:
            for frame, pace, is_error in frames:
                if pace and self.state.chunk_delay > 0:
                    await asyncio.sleep(self.state.chunk_delay)
                if is_error and error_delay > 0:
                    await asyncio.sleep(error_delay)
                await response.write(frame.encode())
            await response.write_eof()
            meta["stream_end"] = "complete"
        except ConnectionResetError:
            pass  # the client went away (timeout test); nothing left to send to
        finally:
            meta["stream_ended_at"] = time.monotonic()
        return response

    async def _interactions_sse(
        self, request: web.Request, events: list[Event], fault: Fault | None
    ) -> web.StreamResponse:
        frames = [
            (
                f"event: {e['event_type']}\ndata: {json.dumps(e)}\n\n",
                pace,
                e["event_type"] == "error",
            )
            for e, pace in events
        ]
        return await self._write_sse(request, frames, fault.delay if fault else 0.0)

    # --- Interactions --------------------------------------------------------------------

    async def create_interaction(self, request: web.Request) -> web.StreamResponse:
        body = request[BODY_KEY]
        if not isinstance(body, dict):
            return error_response(400, "Invalid JSON payload received.", style="interactions")
        previous = body.get("previous_interaction_id") or None
        try:
            chain = self.state.chain(previous)
            steps = input_steps(body.get("input"))
            new_turns = steps_to_turns(steps, self.state.resolve_file)
        except UnknownInteractionError as exc:
            return _not_found(exc.interaction_id)
        except MediaDecodeError:
            return error_response(400, _DECODE_ERROR, style="interactions")
        model = str(body.get("model") or body.get("agent") or "")
        if (
            is_video_request(body)
            and model.removeprefix("models/") not in self.state.retired_models
        ):
            return self._create_video(request, body)
        if model.removeprefix("models/") in self.state.retired_models:
            return error_response(
                404,
                f"models/{model.removeprefix('models/')} is not found for API version v1beta, "
                "or is not supported for interactions.",
                style="interactions",
            )
        stream = body.get("stream") is True
        output = interactions_request(body)
        refused = tts.rejection(body, model) if output.kind == "audio" else None
        if refused is not None:
            return error_response(400, refused, style="interactions")
        turns = [t for stored in chain for t in stored.turns] + new_turns
        system = system_text(body.get("system_instruction"))
        context, raw_latest = build_context(
            "interactions", model, turns, body, system, stream=stream
        )
        result = await self._answer(request, context, raw_latest, output, "interactions")
        if isinstance(result, web.Response):
            return result
        answer = result
        fault = request.get(FAULT_KEY)
        stored = StoredInteraction(
            id=new_interaction_id(),
            model=model,
            previous_interaction_id=previous,
            input=body.get("input"),
            input_steps=steps,
            input_turns=new_turns,
            system_instruction=system,
            tools=body.get("tools"),
            generation_config=body.get("generation_config"),
            answer=answer,
        )
        wav = self.state.tts_format == "wav" and not stream
        config = body.get("generation_config")
        summaries = isinstance(config, dict) and config.get("thinking_summaries") == "auto"
        latest = next((t.texts[-1] for t in reversed(new_turns) if t.texts), "")
        summary = f"The user asks: {latest[:80]}. Answer briefly." if summaries else None
        stored.output_steps = output_steps(answer, stored.id, wav=wav, summary=summary)
        stored.output_turns = [Turn(role="model", texts=[answer.text])] if answer.text else []
        stored.status, stored.errors = status_of(answer)
        if stream and not answer.blocked and (fault is not None or answer.stream_error):
            status = fault.status if fault is not None else 500
            stored.status = "failed"
            stored.errors = [{"code": interactions_code(status), "message": "Stream failed."}]
            cut_to_partial(stored, answer)
        stored.usage = usage(turns, answer)
        request[RECORD_KEY].meta["interaction_id"] = stored.id
        if body.get("store") is not False:
            self.state.interactions[stored.id] = stored
        if not stream:
            return web.json_response(interaction_json(stored, with_input_steps=False))
        events = stream_events(
            stored,
            answer,
            error_status=fault.status if fault is not None else None,
            error_message=fault.message if fault is not None else None,
        )
        return await self._interactions_sse(request, events, fault)

    async def get_interaction(self, request: web.Request) -> web.StreamResponse:
        stored = self.state.interactions.get(request.match_info["id"])
        if stored is None:
            return _not_found(request.match_info["id"])
        video = self.state.videos.get(stored.id)
        if video is not None:
            await advance_video(video, self.state.video_clock)
            request[RECORD_KEY].meta.update(kind="video_poll", status=stored.status)
        if request.query.get("stream", "false").lower() == "true" and stored.answer is not None:
            return await self._interactions_sse(request, stream_events(stored, stored.answer), None)
        with_input = request.query.get("include_input", "false").lower() == "true"
        return web.json_response(
            interaction_json(stored, with_input_steps=True, with_input=with_input)
        )

    def _create_video(self, request: web.Request, body: Json) -> web.Response:
        """A background clip (``video.py``): ``in_progress`` at once, or the refusal."""
        created = create_video(
            body, self.state.video_clock, self.state.videos, request[RECORD_KEY].meta
        )
        if not isinstance(created, StoredInteraction):
            return created  # type: ignore[no-any-return]
        self.state.interactions[created.id] = created
        return web.json_response(interaction_json(created, with_input_steps=False))

    async def cancel_interaction(self, request: web.Request) -> web.Response:
        stored = self.state.interactions.get(request.match_info["id"])
        if stored is None:
            return _not_found(request.match_info["id"])
        if stored.status in ("in_progress", "queued"):
            stored.status = "cancelled"
        return web.json_response(interaction_json(stored, with_input_steps=False))

    async def delete_interaction(self, request: web.Request) -> web.Response:
        if self.state.interactions.pop(request.match_info["id"], None) is None:
            return _not_found(request.match_info["id"])
        return web.json_response({})

    # --- the model catalogue ----------------------------------------------------------------

    async def get_model(self, request: web.Request) -> web.Response:
        """``models.get``: every model name exists, but those retired (404, as the live API)."""
        name = request.match_info["name"].removeprefix("models/")
        if name in self.state.retired_models:
            return error_response(
                404,
                f"models/{name} is not found for API version v1beta, or is not supported for "
                "GetModel.",
                style="google",
            )
        return web.json_response(
            {
                "name": f"models/{name}",
                "version": "001",
                "displayName": name,
                "inputTokenLimit": 1048576,
                "outputTokenLimit": 65536,
                "supportedGenerationMethods": ["generateContent", "countTokens"],
            }
        )

    # --- generateContent -----------------------------------------------------------------

    async def models_action(self, request: web.Request) -> web.StreamResponse:
        model, action = model_from_path(request.match_info["tail"])
        if action not in ("generateContent", "streamGenerateContent", "countTokens"):
            return error_response(404, f"Method not found: {action}", style="google")
        body = request[BODY_KEY]
        if not isinstance(body, dict):
            return error_response(400, "Invalid JSON payload received.", style="google")
        try:
            contents = body.get("contents")
            if contents is None and isinstance(body.get("generateContentRequest"), dict):
                contents = body["generateContentRequest"].get("contents")
            turns = contents_to_turns(contents or [], self.state.resolve_file)
        except MediaDecodeError:
            return error_response(400, _DECODE_ERROR, style="google")
        if action == "countTokens":
            return web.json_response(count_tokens(turns))
        stream = action == "streamGenerateContent"
        system = system_text(body.get("systemInstruction", body.get("system_instruction")))
        context, raw_latest = build_context(
            "generate_content", model, turns, body, system, stream=stream
        )
        output = generate_content_request(model, body)
        result = await self._answer(request, context, raw_latest, output, "google")
        if isinstance(result, web.Response):
            return result
        if not stream:
            wav = self.state.tts_format == "wav"
            return web.json_response(generate_response(result, model, turns, wav=wav))
        fault = request.get(FAULT_KEY)
        error = error_body(fault.status, fault.message, "google") if fault is not None else None
        chunks = stream_chunks(result, model, turns, error=error)
        frames = [
            (f"data: {json.dumps(c)}\r\n\r\n", index > 0, "error" in c)
            for index, c in enumerate(chunks)
        ]
        return await self._write_sse(request, frames, fault.delay if fault else 0.0)


def _not_found(interaction_id: str) -> web.Response:
    return error_response(
        404, f"Interaction '{interaction_id}' was not found.", style="interactions"
    )
