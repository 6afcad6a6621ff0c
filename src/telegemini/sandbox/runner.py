"""``telegemini sandbox``: the fake Bot API, the real bot pointed at it, and the chat page, in one
process and one event loop.

With ``GOOGLE_API_KEY`` the bot talks to real Gemini; without it, to the demo model (the fake
Gemini server with espeak-ng speech and Pillow pictures, see ``demo.py``). The bot is started
exactly as in production (``Telegemini.create`` then ``start``), with settings that point it at
the local servers. Each run starts fresh: the fake Telegram keeps its chats in memory, so the
sandbox database (``data/sandbox.db``) is recreated too, or the bot would take the new run's
update ids for ones it has already processed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from telegemini.app import Telegemini
from telegemini.sandbox.demo import DEMO_CHUNK_DELAY, DEMO_KEY, DEMO_LABEL, demo_server
from telegemini.sandbox.demo_media import DemoMedia
from telegemini.sandbox.fake_gemini import FakeGeminiServer
from telegemini.sandbox.fake_telegram import FakeTelegramServer
from telegemini.sandbox.people import ADMIN
from telegemini.sandbox.sim import ModelInfo, SimApi
from telegemini.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
SANDBOX_DATABASE = "sqlite+aiosqlite:///data/sandbox.db"
SANDBOX_TOKEN = "123456:SANDBOX-fake-token-not-a-secret"  # noqa: S105 - the fake's own dummy

# Settings that belong to a real deployment and never reach the sandbox's bot: they are reset
# to their defaults (real user and chat ids, or a shared Redis, mean nothing to simulated users
# and a fake Telegram whose ids start again at every run).
_NOT_CARRIED = frozenset(
    {
        "webhook_url",
        "telegram_secret_token",
        "port",
        "sandbox_port",
        "k_service",
        "redis_url",
        "admin_user_ids",
        "allowed_user_ids",
        "allowed_chat_ids",
        "alert_chat_id",
    }
)


def sandbox_settings(
    user: Settings,
    *,
    telegram_url: str,
    token: str,
    gemini_url: str | None,
    database_url: str,
) -> Settings:
    """The bot's settings in the sandbox: the user's models, voice and tuning, with Telegram,
    the database and (in demo mode) Gemini pointed at local servers; polling, no webhook."""
    values: dict[str, Any] = user.model_dump()
    for name, field in Settings.model_fields.items():
        if name in _NOT_CARRIED:
            values[name] = field.get_default(call_default_factory=True)
    values.update(
        telegram_bot_token=token,
        telegram_api_base_url=telegram_url,
        database_url=database_url,
    )
    if gemini_url is not None:
        values.update(google_api_key=DEMO_KEY, gemini_base_url=gemini_url)
    # One simulated user is the admin, so /stats, /tier and /broadcast can be tried.
    values.update(admin_user_ids=[ADMIN.id])
    return Settings(_env_file=None, **values)


def _database_place(url: str) -> str:
    """``data/sandbox.db`` for a SQLite URL, else the URL without its password."""
    prefix = "sqlite+aiosqlite:///"
    if url.startswith(prefix):
        return url[len(prefix) :]
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


def _forget_database(settings: Settings) -> None:
    path = settings.sqlite_path()
    if path is None:
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


class CannotListenError(OSError):
    """The chat page's address is taken (or not ours to bind)."""


def open_in_browser(url: str) -> bool:
    """Open ``url`` in a graphical browser, if there is one; never a terminal browser (lynx,
    w3m ...), which would take over the terminal the sandbox logs to."""
    try:
        controller = webbrowser.get()
    except webbrowser.Error:
        return False
    if type(controller) is webbrowser.GenericBrowser:  # how console browsers are registered
        return False
    return controller.open(url)


class Sandbox:
    """One sandbox: start it, read ``url``, stop it. Tests bind ``port=0``."""

    def __init__(
        self,
        user_settings: Settings,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        database_url: str = SANDBOX_DATABASE,
        chunk_delay: float = DEMO_CHUNK_DELAY,
    ) -> None:
        self.user_settings = user_settings
        self.host = host
        self.port = port
        self.database_url = database_url
        self.demo = user_settings.google_api_key is None
        self.telegram = FakeTelegramServer(
            token=SANDBOX_TOKEN,
            bot_username="telegemini_sandbox_bot",
            bot_first_name="Telegemini",
            privacy_mode=True,  # Telegram's default for bots: in groups, only what is for them
            rich_messages=True,  # Bot API 10.1+: answers are rich messages, drafts have Stop
        )
        self.demo_media = DemoMedia() if self.demo else None
        self.gemini: FakeGeminiServer | None = (
            demo_server(
                chunk_delay=chunk_delay,
                media=self.demo_media,
                fallback_language=lambda: self.sim.last_language,
            )
            if self.demo
            else None
        )
        label = DEMO_LABEL if self.demo else user_settings.chat_model
        speaks = self.demo_media is None or self.demo_media.speaks
        self.sim = SimApi(self.telegram, ModelInfo(demo=self.demo, label=label, speaks=speaks))
        self.bot: Telegemini | None = None
        self._stack = contextlib.AsyncExitStack()
        self._url: str | None = None

    @property
    def url(self) -> str:
        """The chat page, e.g. ``http://127.0.0.1:8765``."""
        if self._url is None:
            raise RuntimeError("the sandbox is not started")
        return self._url

    @property
    def model_label(self) -> str:
        return self.sim.model.label

    def banner(self) -> str:
        """What the terminal shows once the page answers: where to go, who answers, where the
        data is, how to stop."""
        if self.demo:
            speaks = self.demo_media is not None and self.demo_media.speaks
            model = f"{DEMO_LABEL}: set GOOGLE_API_KEY in .env to talk to Gemini; voice " + (
                "by espeak-ng" if speaks else "is a short tone (apt-get install espeak-ng)"
            )
        else:
            model = f"Gemini {self.user_settings.chat_model} (GOOGLE_API_KEY)"
        admin = ADMIN
        rows = (
            ("chat page", self.url),
            ("model", model),
            ("admin", f"{admin.first_name} (user id {admin.id}) has the admin commands"),
            ("data", f"{_database_place(self.database_url)}, new at every start"),
            ("stop", "Ctrl-C"),
        )
        lines = ["telegemini sandbox is ready"]
        lines += [f"  {name:<10} {value}" for name, value in rows]
        return "\n".join(lines)

    async def start(self) -> None:
        """Start the fakes, the bot and the page; on failure, stop whatever had started."""
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        stack = self._stack
        await self.telegram.start()
        stack.push_async_callback(self.telegram.stop)
        if self.gemini is not None:
            await self.gemini.start()
            stack.push_async_callback(self.gemini.stop)
        settings = sandbox_settings(
            self.user_settings,
            telegram_url=self.telegram.url,
            token=self.telegram.token,
            gemini_url=self.gemini.url if self.gemini is not None else None,
            database_url=self.database_url,
        )
        self.sim.attach()
        stack.callback(self.sim.detach)
        # The page first: a taken port is reported before the bot does any work.
        runner = web.AppRunner(self.sim.app(), access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        stack.callback(self.sim.hub.close)  # streams end before the server waits for them
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            raise CannotListenError(f"cannot listen on {self.host}:{self.port} ({exc})") from exc
        # Only now that the page's address is ours: a second sandbox started by mistake on the
        # same port stops above and leaves the running one's data alone.
        _forget_database(settings)
        host, port = runner.addresses[0][:2]
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - a comparison
        # The bot stops first, so the page still shows the answers it finishes on the way out.
        bot = await Telegemini.create(settings)
        stack.push_async_callback(self._stop_bot, bot)
        await bot.start()
        self.bot = bot
        self._url = f"http://{shown}:{port}"
        log.debug("sandbox ready at %s (%s)", self._url, self.model_label)

    async def _stop_bot(self, bot: Telegemini) -> None:
        self.bot = None
        await bot.stop()

    async def stop(self) -> None:
        """Stop the bot, the page, then the fakes (the reverse of ``start``)."""
        await self._stack.aclose()
        self._url = None


async def run_sandbox(
    user_settings: Settings,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    open_browser: bool = True,
    on_ready: Callable[[Sandbox], None] | None = None,
) -> None:
    """Run a sandbox until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    sandbox = Sandbox(user_settings, host=host, port=port)
    try:
        await sandbox.start()
        try:
            if on_ready is not None:
                on_ready(sandbox)
            if open_browser:
                await asyncio.to_thread(open_in_browser, sandbox.url)
            await stop.wait()
        finally:
            log.info("stopping the sandbox")
            await sandbox.stop()
    finally:
        for sig in signals:
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(sig)
