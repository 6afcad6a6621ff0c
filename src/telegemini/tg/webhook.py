"""The webhook server, one ASGI app (Starlette, served by uvicorn in the bot's event loop):
``POST /webhook`` stores each update in the durable inbox before answering 200; ``GET /healthz``
(alive), ``GET /readyz`` (database and Redis answer) and ``GET /metrics`` (Prometheus).

Requests must carry the secret token (compared in constant time) or get 403; a body that is not
a JSON update gets 400; a body over the size limit gets 413, read no further. None of those
reach a handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Iterator

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from telegemini.metrics import Metrics
from telegemini.tg.pump import InboxPump
from telegemini.tg.translate import is_update

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret
MAX_BODY = 1024 * 1024  # Telegram updates are small; anything bigger is not from Telegram


def derived_secret(token: str) -> str:
    """A stable secret when the operator set none: every instance derives the same one."""
    return hashlib.sha256(f"telegemini-webhook:{token}".encode()).hexdigest()[:48]


class BodyTooLarge(Exception):
    pass


async def read_capped(request: Request, limit: int) -> bytes:
    """The request body, or ``BodyTooLarge`` as soon as it exceeds ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


class _InLoopServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # SIGTERM belongs to the bot, which stops this server first, then drains its work.
        yield


class WebhookServer:
    def __init__(
        self,
        pump: InboxPump,
        *,
        secret: str,
        host: str = "0.0.0.0",  # noqa: S104 - a webhook server must be reachable
        port: int = 8080,
        path: str = "/webhook",
        metrics: Metrics | None = None,
        readiness: Callable[[], Awaitable[dict[str, str]]] | None = None,
    ) -> None:
        self._pump = pump
        self._secret = secret.encode()
        self._host = host
        self._port = port
        self._path = path
        self._server: uvicorn.Server | None = None
        self._serving: asyncio.Task[None] | None = None
        self.port: int | None = None
        self._metrics_registry = metrics
        self._readiness = readiness

    def make_app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(self._path, self._receive, methods=["POST"]),
                Route("/healthz", self._healthz, methods=["GET"]),
                Route("/readyz", self._readyz, methods=["GET"]),
                Route("/metrics", self._metrics, methods=["GET"]),
            ]
        )

    async def start(self) -> int:
        config = uvicorn.Config(
            self.make_app(),
            host=self._host,
            port=self._port,
            lifespan="off",
            access_log=False,
            log_config=None,  # our logging (JSON, redaction) stays in charge
            server_header=False,
            # Storing an update takes milliseconds; one that hangs gets no 200 and Telegram
            # sends it again. The rest of Cloud Run's 10 s is for the work in flight.
            timeout_graceful_shutdown=1,
        )
        server = self._server = _InLoopServer(config)
        self._serving = asyncio.create_task(server.serve(), name="webhook-server")
        while not server.started:
            if self._serving.done():
                await self._serving  # the bind failed: raise its error
                raise RuntimeError("the webhook server stopped before it started")
            await asyncio.sleep(0.01)
        sockets = [s for srv in server.servers for s in (srv.sockets or [])]
        self.port = sockets[0].getsockname()[1] if sockets else self._port
        log.info("webhook server listening on %s:%s%s", self._host, self.port, self._path)
        return self.port

    async def stop(self) -> None:
        """Stop accepting; requests being stored finish first (uvicorn's graceful shutdown)."""
        if self._server is not None and self._serving is not None:
            self._server.should_exit = True
            await self._serving
        self._server = self._serving = None

    async def _healthz(self, _request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def _readyz(self, _request: Request) -> Response:
        """200 when the database (and Redis, if configured) answer; 503 with what is down."""
        checks = await self._readiness() if self._readiness is not None else {}
        ready = all(value in ("ok", "not configured") for value in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", **checks},
            status_code=200 if ready else 503,
        )

    async def _metrics(self, _request: Request) -> Response:
        if self._metrics_registry is None:
            return PlainTextResponse("metrics are off", status_code=404)
        body = await self._metrics_registry.render()
        return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")

    async def _receive(self, request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            log.warning("webhook request refused: missing or wrong secret token")
            return PlainTextResponse("forbidden", status_code=403)
        try:
            data = orjson.loads(await read_capped(request, MAX_BODY))
        except BodyTooLarge:
            return PlainTextResponse("body too large", status_code=413)
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested deep
            return PlainTextResponse("body is not JSON", status_code=400)
        if not is_update(data):
            return PlainTextResponse("body is not a Telegram update", status_code=400)
        try:
            # Durable before the 200: Telegram forgets an update once we acknowledge it. It is
            # stored as it came and decoded when its turn comes (one way in, as long polling).
            await self._pump.store([data], "webhook")
        except Exception:
            log.exception("could not store update %s; Telegram will retry", data["update_id"])
            return PlainTextResponse("storage unavailable", status_code=503)
        return PlainTextResponse("ok")
