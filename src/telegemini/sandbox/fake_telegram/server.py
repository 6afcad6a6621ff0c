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

Bot API 10.x (``/work/shared/reference/telegram-bot-api-10.md``):

- Rich messages (10.1): ``sendRichMessage``, ``sendRichMessageDraft``, ``editMessageText`` with
  ``rich_message``, switched on by ``FakeTelegramServer(rich_messages=True)`` or
  ``server.rich_messages = True``. **Off by default**: the e2e suite reads answers' ``text`` and
  the sandbox page draws ``text``, and a bot falls back to formatted text on a server without
  them. Off, the fake is a self-hosted server older than 10.1: the rich methods answer 404
  ``Not Found: method not found`` and ``editMessageText`` without ``text`` answers 400
  ``Bad Request: message text is empty``. A rich message is stored like any bot message
  (``bot_messages``); its dict has ``rich_message`` (no ``text``) plus the fake-only
  ``_rich_text`` (plain text) and ``_rich_markdown``/``_rich_html`` keys, never sent to the bot::

      server = FakeTelegramServer(rich_messages=True)
      message = await bot.send_rich_message(alice.id, InputRichMessage(markdown="# Hi"))
      [stored] = server.bot_messages(alice.id)  # stored["_rich_markdown"] == "# Hi"

- Drafts with a Stop button (10.3): ``server.drafts()``/``draft_history()`` give ``Draft``
  records (``rich``, ``can_stop``, ``keep_on_stop``, ``stopped``, ``after_stop``);
  ``server.press_stop(alice)`` delivers ``stopped_message_generation`` for the current draft
  that has a Stop button (``ValueError`` when there is none); later drafts with that draft_id
  are answered ``true`` but only counted (``Draft.after_stop``).
- Telegram Stars (``payments``): ``sendInvoice``, ``createInvoiceLink``,
  ``answerPreCheckoutQuery`` (10 s), ``refundStarPayment``, ``getStarTransactions``,
  ``editUserStarSubscription``; ``server.pay(alice, link_or_invoice_message)`` delivers the
  ``pre_checkout_query`` and, once the bot says yes, ``successful_payment``; ``renew(charge)``,
  ``deliver_payment(charge)`` (a redelivery) and ``update_subscription(alice, payload, state)``.
- Ephemeral messages (10.2/10.3) in groups: ``ephemeral_message_parameters`` on ``sendMessage``,
  the media sends and ``sendRichMessage`` answer ``message_id`` 0 with an
  ``ephemeral_message_id``; they are kept apart (``ephemeral_messages(chat_id, user_id)``, not
  ``bot_messages``). The bot is not an administrator unless ``set_bot_admin(chat)``; then it
  needs a fresh (15 s, ``server.clock``) button press or ephemeral command
  (``send_ephemeral_command``). ``FakeTelegramServer(ephemeral_messages=False)`` or
  ``server.ephemeral_enabled = False``: a server without them.

``reset()`` restores ``rich_messages``, ``ephemeral_enabled`` and ``clock`` to the constructor's
values (tests sharing a server do not leak an "old server" into each other).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from aiohttp import web

from . import api_core, api_media, api_messages, api_rich, ephemeral, payments
from .api_core import Handler
from .inspection import Inspection
from .limits import FLOOD_METHODS, MAX_UPLOAD, MB, FloodControl
from .models import ApiError, FakeChat, RecordedCall, UploadedFile, as_int
from .params import Context, Params, read_request
from .payments import PaymentActions
from .state import FakeState
from .users import UserActions
from .webhook import DEFAULT_RETRY_DELAYS, WebhookDeliverer

log = logging.getLogger(__name__)

HANDLERS: dict[str, Handler] = {
    **api_core.HANDLERS,
    **api_messages.HANDLERS,
    **api_media.HANDLERS,
    **api_rich.HANDLERS,
    **ephemeral.HANDLERS,
    **payments.HANDLERS,
}


class FakeTelegramServer(UserActions, PaymentActions, Inspection):
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
        rich_messages: bool = False,
        ephemeral_messages: bool = True,
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
        self._defaults = (rich_messages, ephemeral_messages)
        self._state.rich_messages = rich_messages
        self._state.ephemeral_messages = ephemeral_messages
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
    def rich_messages(self) -> bool:
        """Bot API 10.1 rich messages exist (default False); False: a server older than 10.1
        (404 on the methods, ``rich_message`` ignored by editMessageText). ``reset`` restores
        the constructor's value."""
        return self._state.rich_messages

    @rich_messages.setter
    def rich_messages(self, value: bool) -> None:
        self._state.rich_messages = value

    @property
    def ephemeral_enabled(self) -> bool:
        """Ephemeral messages exist (the constructor's ``ephemeral_messages``); False:
        ``ephemeral_message_parameters`` answers 400 ``Bad Request: ephemeral messages are not
        supported`` *(fake)* and the editEphemeral*/deleteEphemeralMessage methods 404.
        ``reset`` restores it. (``ephemeral_messages(chat_id)`` is the inspection helper.)"""
        return self._state.ephemeral_messages

    @ephemeral_enabled.setter
    def ephemeral_enabled(self, value: bool) -> None:
        self._state.ephemeral_messages = value

    @property
    def clock(self) -> Callable[[], float]:
        """The monotonic clock the 15-second ephemeral rules read (callback query and
        ephemeral message ages); set a fake one to age them without sleeping."""
        return self._state.clock

    @clock.setter
    def clock(self, value: Callable[[], float]) -> None:
        self._state.clock = value

    def set_bot_admin(self, chat: FakeChat | int, admin: bool = True) -> None:
        """Make the bot an administrator of a group (or not): an administrator may send
        ephemeral messages to any member without a callback query or ephemeral command.
        Forgotten by ``reset``."""
        chat_id = chat if isinstance(chat, int) else chat.id
        if admin:
            self._state.bot_admin_chats.add(chat_id)
        else:
            self._state.bot_admin_chats.discard(chat_id)

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
        stay too; ``rich_messages``, ``ephemeral_enabled`` and ``clock`` go back to the
        constructor's values, and the bot is an administrator nowhere.
        """
        self._state.clear()
        self._state.rich_messages, self._state.ephemeral_messages = self._defaults
        self._state.clock = time.monotonic

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
        state = self._state
        if (
            handler is None
            or (method in api_rich.RICH_METHODS and not state.rich_messages)
            or (method in ephemeral.HANDLERS and not state.ephemeral_messages)
        ):
            raise ApiError(404, "Not Found: method not found")
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
