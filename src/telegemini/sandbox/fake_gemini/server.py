"""`FakeGeminiServer`: the aiohttp application, its lifecycle, the middleware that records,
authenticates and injects faults, and the `/_fake/*` control endpoints for non-Python tools.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from types import TracebackType
from typing import Any, Self

from aiohttp import web
from aiohttp.typedefs import Handler

from .answer import SpeechSettings
from .errors import NO_KEY_MESSAGE, bad_key_response, error_response
from .files import RAW_KEY, FileRoutes
from .hooks import MediaMaker
from .interactions import StoredInteraction
from .routes import BODY_KEY, FAULT_KEY, RECORD_KEY, ModelRoutes
from .script import Fault, FaultQueue, Script, ScriptedReply
from .state import RecordedRequest, ServerState, TtsFormat

BAD_KEY = "bad-key"
"""The API key value the fake rejects like an invalid key (400 INVALID_ARGUMENT)."""

_CREATE_PATHS = frozenset(f"/{v}/interactions" for v in ("v1", "v1beta", "v1alpha"))


class FakeGeminiServer:
    """A fake Gemini API that the real google-genai SDK talks to over HTTP.

    Start it on port 0, point `genai.Client(http_options=HttpOptions(base_url=server.url))`
    at it, then steer it with `script`, `faults`, `latency` and magic tokens, and inspect
    `requests` and `interactions`. See the package docstring for the behaviour. `media`
    (a `hooks.MediaMaker`) replaces the default tone and gradient PNG, as the sandbox does.
    """

    def __init__(
        self,
        *,
        tts_format: TtsFormat = "pcm",
        chunk_delay: float = 0.0,
        tts_ms_per_char: float = 60.0,
        tts_max_seconds: float = 30.0,
        media: MediaMaker | None = None,
    ) -> None:
        speech = SpeechSettings(ms_per_char=tts_ms_per_char, max_seconds=tts_max_seconds)
        self.state = ServerState(
            tts_format=tts_format, chunk_delay=chunk_delay, speech=speech, media=media
        )
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on `host:port` (port 0 picks a free port; read it from `url`)."""
        if self._runner is not None:
            raise RuntimeError("FakeGeminiServer is already running")
        runner = web.AppRunner(
            self._build_app(), handler_cancellation=True, shutdown_timeout=1.0, access_log=None
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        self._runner = runner
        self._url = f"http://{bound_host}:{bound_port}"

    async def stop(self) -> None:
        """Stop listening; in-flight requests are cancelled after a short grace period."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        if self._runner is None:
            await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. "http://127.0.0.1:41234" (without the API version)."""
        if self._url is None:
            raise RuntimeError("FakeGeminiServer is not started")
        return self._url

    # --- knobs and records ---------------------------------------------------------------

    @property
    def latency(self) -> float:
        """Seconds added before every model answer (benchmarks use 0 and 1)."""
        return self.state.latency

    @latency.setter
    def latency(self, value: float) -> None:
        self.state.latency = value

    @property
    def retired_models(self) -> set[str]:
        """Model names answered 404 "models/… is not found" (add to retire one; reset clears)."""
        return self.state.retired_models

    @property
    def video_seconds(self) -> float:
        """How long one clip takes, in the fake's own seconds (default 20)."""
        return self.state.video_clock.seconds

    @video_seconds.setter
    def video_seconds(self, value: float) -> None:
        self.state.video_clock.seconds = value

    @property
    def video_speed(self) -> float:
        """Fake seconds per real second for clips (tests speed the fake's clock up)."""
        return self.state.video_clock.speed

    @video_speed.setter
    def video_speed(self, value: float) -> None:
        self.state.video_clock.speed = value

    @property
    def chunk_delay(self) -> float:
        """Seconds between streamed text/audio deltas."""
        return self.state.chunk_delay

    @chunk_delay.setter
    def chunk_delay(self, value: float) -> None:
        self.state.chunk_delay = value

    @property
    def tts_format(self) -> TtsFormat:
        """ "pcm" (raw s16le 24 kHz) or "wav" (RIFF) for unary speech answers."""
        return self.state.tts_format

    @tts_format.setter
    def tts_format(self, value: TtsFormat) -> None:
        self.state.tts_format = value

    @property
    def script(self) -> Script:
        return self.state.script

    @property
    def faults(self) -> FaultQueue:
        return self.state.faults

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every API request received, in order (control endpoints excluded)."""
        return self.state.requests

    @property
    def interactions(self) -> dict[str, StoredInteraction]:
        """Stored interactions by id (`store: false` ones are not kept)."""
        return self.state.interactions

    def interaction_requests(self) -> list[dict[str, Any]]:
        """Bodies of the Interactions `create` calls, in order."""
        return [
            r.body
            for r in self.state.requests
            if r.method == "POST" and r.path in _CREATE_PATHS and r.body is not None
        ]

    async def wait_for_requests(
        self,
        count: int,
        *,
        match: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - public API: tests pass a plain number
    ) -> list[RecordedRequest]:
        """Wait until `count` requests whose path contains `match` arrived; return them all.

        Raises `TimeoutError` (listing what did arrive) after `timeout` seconds.
        """
        return await self.state.wait_for_requests(count, match=match, timeout=timeout)

    def forget_interactions(self) -> None:
        """Drop every stored interaction: the next `previous_interaction_id` gets 404."""
        self.state.interactions.clear()

    def reset(self) -> None:
        """Clear interactions, files, script, faults and the log; knobs back to their defaults."""
        self.state.reset()

    # --- application ---------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        ModelRoutes(self.state).add_to(app)
        FileRoutes(self.state).add_to(app)
        app.router.add_get("/_fake/requests", self._control_requests)
        app.router.add_post("/_fake/faults", self._control_faults)
        app.router.add_post("/_fake/script", self._control_script)
        app.router.add_post("/_fake/reset", self._control_reset)
        app.router.add_post("/_fake/forget", self._control_forget)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/_fake/"):
            return await handler(request)
        raw = await request.read()
        body = _json_object(raw)
        record = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
            at=time.monotonic(),
        )
        request[RECORD_KEY] = record
        request[BODY_KEY] = body
        request[RAW_KEY] = raw
        await self.state.record(record)
        if "upload_id" not in request.query:  # upload chunks carry no key, as on the real API
            key = request.headers.get("x-goog-api-key", "")
            if not key:
                return error_response(403, NO_KEY_MESSAGE, style="google")
            if key == BAD_KEY:
                return bad_key_response()
        streaming = (
            (body is not None and body.get("stream") is True)
            or ":streamGenerateContent" in request.path
            or request.query.get("stream", "").lower() == "true"
        )
        fault = self.state.faults.take(request.path, streaming=streaming)
        if fault is not None:
            record.meta["fault"] = fault.status
            if fault.mid_stream:
                request[FAULT_KEY] = fault
            else:
                if fault.delay > 0:
                    await asyncio.sleep(fault.delay)
                return error_response(
                    fault.status, fault.message, style=fault.style, retry_after=fault.retry_after
                )
        return await handler(request)

    # --- control endpoints ---------------------------------------------------------------

    async def _control_requests(self, request: web.Request) -> web.Response:
        matched = self.state.matching(request.query.get("match"))
        return web.json_response({"requests": [r.to_json() for r in matched]})

    async def _control_faults(self, request: web.Request) -> web.Response:
        try:
            items = _items(await request.json(), "faults")
            self.state.faults.add(*(Fault(**_fields(Fault, i)) for i in items))
        except (ValueError, TypeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"pending": len(self.state.faults.pending())})

    async def _control_script(self, request: web.Request) -> web.Response:
        try:
            items = _items(await request.json(), "replies")
            self.state.script.enqueue(*(ScriptedReply(**_fields(ScriptedReply, i)) for i in items))
        except (ValueError, TypeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"pending": self.state.script.pending()})

    async def _control_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({})

    async def _control_forget(self, request: web.Request) -> web.Response:
        self.forget_interactions()
        return web.json_response({})


def _json_object(raw: bytes) -> dict[str, Any] | None:
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _items(payload: Any, plural: str) -> list[dict[str, Any]]:
    """A control payload: one object, a list, or `{plural: [...]}`."""
    if isinstance(payload, dict) and isinstance(payload.get(plural), list):
        payload = payload[plural]
    items = payload if isinstance(payload, list) else [payload]
    if not all(isinstance(i, dict) for i in items):
        raise ValueError(f"expected an object, a list of objects or {{{plural!r}: [...]}}")
    return items


def _fields(cls: type[Any], item: dict[str, Any]) -> dict[str, Any]:
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = set(item) - known
    if unknown:
        raise ValueError(f"unknown fields for {cls.__name__}: {sorted(unknown)}")
    return item
