"""Command line: ``telegemini run | sandbox | migrate | doctor`` (``python -m telegemini`` is the
same)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable

from telegemini import __version__
from telegemini.errors import ConfigError
from telegemini.observability import configure_logging
from telegemini.settings import Settings, load_settings


def _settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        print(f"telegemini: {exc}", file=sys.stderr)
        raise SystemExit(_refuse(2)) from exc


def _refuse(code: int) -> int:
    """Exit ``code`` for a configuration problem. As a container's main process (PID 1),
    exiting would only get it restarted with the same configuration, again and again (compose's
    ``restart: unless-stopped``): it says so once and waits to be stopped instead."""
    if os.getpid() != 1:
        return code
    print(
        "telegemini: waiting to be stopped: fix the configuration (.env or the environment), "
        "then restart the container (docker compose up -d)",
        file=sys.stderr,
        flush=True,
    )
    _wait_for_stop()
    return code


def _wait_for_stop() -> None:
    stop = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)
    signal.sigwait(stop)


def _sandbox_note(url: str) -> str:
    return (
        f"no TELEGRAM_BOT_TOKEN: starting the local sandbox at {url} (a chat page with a fake "
        "Telegram, no tokens needed). To connect a real bot, talk to @BotFather in Telegram, "
        "send /newbot and put TELEGRAM_BOT_TOKEN=... in .env (see README)."
    )


def _run(_args: argparse.Namespace) -> int:
    settings = _settings_or_exit()
    if settings.telegram_bot_token is None and not settings.k_service:
        # A fresh clone: show the bot working locally instead of a list of missing keys.
        # (On Cloud Run a missing token stays an error: a server must not become a sandbox.)
        from telegemini.sandbox.runner import DEFAULT_HOST

        port = settings.sandbox_port
        print(_sandbox_note(f"http://{DEFAULT_HOST}:{port}"), file=sys.stderr)
        return _start_sandbox(settings, host=DEFAULT_HOST, port=port, open_browser=True)
    problems = settings.problems_for_run()
    if problems:
        print("telegemini cannot start yet:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return _refuse(2)
    configure_logging(level=settings.log_level, fmt=settings.log_format, secrets=settings.secrets())
    from telegemini.doctor import preflight

    blocking = asyncio.run(preflight(settings))  # the same checks as `telegemini doctor`
    if blocking:
        print("telegemini cannot start:", file=sys.stderr)
        for check in blocking:
            print(f"  - {check.name}: {check.detail}", file=sys.stderr)
            if check.fix:
                print(f"    fix: {check.fix}", file=sys.stderr)
        return 1
    from telegemini.app import Telegemini

    async def main() -> None:
        bot = await Telegemini.create(settings)
        await bot.run()

    try:
        with asyncio.Runner(loop_factory=_fast_loop()) as runner:
            runner.run(main())
    except ConfigError as exc:  # e.g. Telegram rejected the token: words, not a traceback
        print(f"telegemini: {exc}", file=sys.stderr)
        return 1
    return 0


def _fast_loop() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop where it exists (Linux, macOS): the same asyncio, with 1.1-1.3× less CPU for the
    bot (bench/ANALYSIS.md); the standard loop elsewhere."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


# Start-up lines that mean nothing to someone trying the sandbox: each run's fresh database
# is migrated from scratch, and "running as @telegemini_sandbox_bot" is the fake's bot.
_QUIET_IN_SANDBOX = ("alembic", "telegemini.app")


def _start_sandbox(settings: Settings, *, host: str, port: int, open_browser: bool) -> int:
    configure_logging(level=settings.log_level, fmt=settings.log_format, secrets=settings.secrets())
    if logging.getLogger().getEffectiveLevel() >= logging.INFO:
        for name in _QUIET_IN_SANDBOX:
            logging.getLogger(name).setLevel(logging.WARNING)
    from telegemini.sandbox.runner import CannotListenError, Sandbox, run_sandbox

    def ready(sandbox: Sandbox) -> None:
        print(sandbox.banner(), flush=True)

    try:
        asyncio.run(
            run_sandbox(settings, host=host, port=port, open_browser=open_browser, on_ready=ready)
        )
    except CannotListenError as exc:
        print(f"telegemini sandbox: {exc}; try another --port", file=sys.stderr)
        return 1
    return 0


def _sandbox(args: argparse.Namespace) -> int:
    settings = _settings_or_exit()
    port = settings.sandbox_port if args.port is None else args.port
    return _start_sandbox(settings, host=args.host, port=port, open_browser=not args.no_browser)


def _migrate(_args: argparse.Namespace) -> int:
    settings = _settings_or_exit()
    configure_logging(level=settings.log_level, fmt=settings.log_format, secrets=settings.secrets())
    from telegemini.storage.sql import SqlStore

    async def main() -> None:
        store = await SqlStore.open(settings.database_url)
        await store.close()

    asyncio.run(main())
    print("database is up to date")
    return 0


def _doctor(_args: argparse.Namespace) -> int:
    from telegemini.doctor import main as doctor

    return doctor(sys.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="telegemini", description=__doc__)
    parser.add_argument("--version", action="version", version=f"telegemini {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot (polling, or webhook when WEBHOOK_URL is set)")
    sandbox = commands.add_parser(
        "sandbox", help="chat with the bot in a browser: a local fake Telegram, no tokens needed"
    )
    sandbox.add_argument(
        "--port", type=int, default=None, help="chat page port (default SANDBOX_PORT; 0: any free)"
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="address to listen on")
    sandbox.add_argument(
        "--no-browser", action="store_true", help="do not open the chat page in a browser"
    )
    commands.add_parser("migrate", help="apply database migrations")
    commands.add_parser(
        "doctor", help="check configuration, database, Redis, token, key and webhook; print fixes"
    )
    args = parser.parse_args(argv)
    handlers = {"run": _run, "sandbox": _sandbox, "migrate": _migrate, "doctor": _doctor}
    return handlers[args.command](args)
