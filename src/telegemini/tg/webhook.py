"""The webhook server: ``POST /webhook`` stores each update in the durable inbox before answering
200; ``GET /healthz`` answers 200.

Requests must carry the secret token (compared in constant time) or get 403; a body that is not
a JSON update gets 400; a body over the size limit gets 413. None of those reach a handler.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from telegemini.metrics import Metrics
from telegemini.tg.processor import InboxPump

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret
MAX_BODY = 1024 * 1024  # Telegram updates are small; anything bigger is not from Telegram


def derived_secret(token: str) -> str:
    """A stable secret when the operator set none: every instance derives the same one."""
    return hashlib.sha256(f"telegemini-webhook:{token}".encode()).hexdigest()[:48]


class WebhookServer:
    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        pump: InboxPump,
        *,
        secret: str,
        host: str = "0.0.0.0",  # noqa: S104 - a webhook server must be reachable
        port: int = 8080,
        path: str = "/webhook",
    ) -> None:
        self._application = application
        self._pump = pump
        self._secret = secret.encode()
        self._host = host
        self._port = port
        self._path = path
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self.metrics: Metrics | None = None
        self.readiness: Callable[[], Awaitable[dict[str, str]]] | None = None

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(self._path, self._receive)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        return app

    async def start(self) -> int:
        self._runner = web.AppRunner(self.make_app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        server = site._server  # aiohttp exposes the bound port only through the server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self._port
        log.info("webhook server listening on %s:%s%s", self._host, self.port, self._path)
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _readyz(self, _request: web.Request) -> web.Response:
        """200 when the database (and Redis, if configured) answer; 503 with what is down."""
        checks = await self.readiness() if self.readiness is not None else {}
        ready = all(value in ("ok", "not configured") for value in checks.values())
        return web.json_response(
            {"status": "ready" if ready else "not ready", **checks}, status=200 if ready else 503
        )

    async def _metrics(self, _request: web.Request) -> web.Response:
        if self.metrics is None:
            return web.Response(status=404)
        body = await self.metrics.render()
        return web.Response(body=body, content_type="text/plain", charset="utf-8")

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            log.warning("webhook request refused: missing or wrong secret token")
            return web.Response(status=403, text="forbidden")
        try:
            data = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return web.Response(status=400, text="body is not JSON")
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return web.Response(status=400, text="body is not a Telegram update")
        try:
            update = Update.de_json(data, self._application.bot)
        except (KeyError, TypeError, ValueError):
            return web.Response(status=400, text="malformed update")
        try:
            # Durable before the 200: Telegram forgets an update once we acknowledge it.
            await self._pump.put_raw(data, update)
        except Exception:
            log.exception("could not store update %s; Telegram will retry", data["update_id"])
            return web.Response(status=503, text="storage unavailable")
        return web.Response(text="ok")
