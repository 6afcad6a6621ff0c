"""The fake Telegram Bot API server: an aiohttp app that the real aiogram talks to.

Routes: ``/bot{token}/{method}`` (GET or POST, method names case-insensitive) and
``/file/bot{token}/{file_path}``. Every call is recorded; errors use Telegram's envelope and
HTTP status (aiogram picks its exception by the status). Typical test use::

    server = FakeTelegramServer()
    await server.start()
    api = TelegramAPIServer.from_base(server.url)
    bot = Bot(server.token, session=AiohttpSession(api=api))
    ...
    server.send_text(alice, "/start")
    [call] = await server.wait_for_calls("sendMessage", chat_id=alice.id)
"""

from __future__ import annotations

import logging
import time
from types import TracebackType
from typing import Any

from aiohttp import web

from . import api_core, api_media, api_messages
from .api_core import Handler
from .inspection import Inspection
from .limits import FLOOD_METHODS, MAX_UPLOAD, MB, FloodControl
from .models import ApiError, RecordedCall, UploadedFile, as_int
from .params import Context, Params, read_request
from .state import FakeState
from .users import UserActions
from .webhook import DEFAULT_RETRY_DELAYS, WebhookDeliverer

log = logging.getLogger(__name__)

HANDLERS: dict[str, Handler] = {
    **api_core.HANDLERS,
    **api_messages.HANDLERS,
    **api_media.HANDLERS,
}


class FakeTelegramServer(UserActions, Inspection):
    """A fake Bot API for one bot. Start it on port 0; share it between tests with ``reset``."""

    def __init__(
        self,
        *,
        token: str = "123456:TEST-fake-token-for-tests-only",  # noqa: S107 - a dummy, not a secret
        bot_id: int = 123456,
        bot_username: str = "telegemini_test_bot",
        bot_first_name: str = "Telegemini",
        webhook_retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS,
        webhook_timeout: float = 10.0,
        flood_control: bool = False,
        privacy_mode: bool = False,
    ) -> None:
        self.token = token
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        bot_user = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self._state = FakeState(bot_user)
        self._state.flood_control = flood_control
        self._state.privacy_mode = privacy_mode
        self._webhook = WebhookDeliverer(
            self._state, retry_delays=webhook_retry_delays, timeout=webhook_timeout
        )
        self._runner: web.AppRunner | None = None
        self._host = "127.0.0.1"
        self._port: int | None = None

    # --- settings ---------------------------------------------------------------------------

    @property
    def flood_control(self) -> bool:
        """Enforce Telegram's flood limits with real 429s on send and edit methods."""
        return self._state.flood_control

    @flood_control.setter
    def flood_control(self, value: bool) -> None:
        self._state.flood_control = value
        self._state.flood.reset()

    @property
    def flood(self) -> FloodControl:
        """The flood limits in force when ``flood_control`` is on (rates, clock) for tuning."""
        return self._state.flood

    @property
    def privacy_mode(self) -> bool:
        """Group privacy mode: the bot only gets commands, mentions and replies to itself."""
        return self._state.privacy_mode

    @privacy_mode.setter
    def privacy_mode(self, value: bool) -> None:
        self._state.privacy_mode = value

    @property
    def webhook_retry_delays(self) -> tuple[float, ...]:
        """Pauses between webhook attempts before the fake gives up on an update."""
        return self._webhook.retry_delays

    @webhook_retry_delays.setter
    def webhook_retry_delays(self, value: tuple[float, ...]) -> None:
        self._webhook.retry_delays = tuple(value)

    # --- addresses --------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        if self._port is None:
            raise RuntimeError("FakeTelegramServer is not started")
        return self._port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, the Bot API root (``TELEGRAM_API_BASE_URL``).

        For aiogram: ``TelegramAPIServer.from_base(server.url)``.
        """
        return f"http://{self._host}:{self.port}"

    @property
    def base_url(self) -> str:
        """``{url}/bot``: the prefix a client appends ``{token}/{method}`` to."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """``{url}/file/bot``: the prefix a client appends ``{token}/{file_path}`` to."""
        return f"{self.url}/file/bot"

    # --- life cycle -------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host:port`` (0 picks a free port) and start webhook delivery."""
        if self._runner is not None:
            raise RuntimeError("FakeTelegramServer is already started")
        app = web.Application(client_max_size=MAX_UPLOAD + MB)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        self._host = host
        self._port = int(runner.addresses[0][1])
        self._state.closing = False
        self._webhook.start()

    async def stop(self) -> None:
        """End long polls, stop webhook delivery and close the listening socket."""
        self._state.closing = True
        self._state.changed.notify()
        await self._webhook.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._port = None

    async def __aenter__(self) -> FakeTelegramServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    def reset(self) -> None:
        """Forget calls, chats, messages, updates, faults, drafts, commands and the webhook.

        The server keeps running; files stay (bots may cache file_ids) and ids keep increasing
        (a poller's offset stays valid). Settings (flood control, privacy mode) and subscribers
        stay too.
        """
        self._state.clear()

    # --- HTTP -------------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        arrived = time.monotonic()
        params: dict[str, Any] = {}
        files: dict[str, UploadedFile] = {}
        result: Any
        try:
            self._authorize(request)
            params, files = await read_request(request)
            result = await self._dispatch(method.lower(), params, files)
            status, body = 200, {"ok": True, "result": result}
            if self._state.take_lost(method.lower(), as_int(params.get("chat_id"))):
                self._state.record(RecordedCall(method, params, files, 0, result, arrived))
                if request.transport is not None:
                    request.transport.close()  # done, but the answer never reaches the bot
                return web.Response(status=500)
        except ApiError as exc:
            status, body, result = exc.status, exc.envelope(), exc.description
        except Exception as exc:  # a bug in the fake: answer like Telegram's 500, keep serving
            log.exception("fake Telegram failed on %s", method)
            status, result = 500, f"Internal Server Error: {exc!r}"
            body = {"ok": False, "error_code": 500, "description": result}
        self._state.record(RecordedCall(method, params, files, status, result, arrived))
        return web.json_response(body, status=status)

    def _authorize(self, request: web.Request) -> None:
        if request.match_info["token"] != self.token:
            raise ApiError(401, "Unauthorized")

    async def _dispatch(
        self, method: str, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        handler = HANDLERS.get(method)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        state = self._state
        fault = state.take_fault(method, as_int(params.get("chat_id")))
        if fault is not None:
            raise ApiError(fault.status, fault.description, fault.parameters)
        if state.flood_control and method in FLOOD_METHODS:
            state.flood.check(as_int(params.get("chat_id")))
        return await handler(Context(state, Params(params), files, method))

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").envelope(), status=401)
        path = request.match_info["path"]
        stored = self._state.files.by_path(path)
        if stored is None:
            return web.json_response(ApiError(404, "Not Found").envelope(), status=404)
        self._state.downloads.append(path)
        return web.Response(body=stored.data, content_type="application/octet-stream")
