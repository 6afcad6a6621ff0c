"""Command line: ``telegemini run | migrate`` (``python -m telegemini`` is the same)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from telegemini import __version__
from telegemini.errors import ConfigError
from telegemini.observability import configure_logging
from telegemini.settings import Settings, load_settings


def _settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        print(f"telegemini: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


def _run(_args: argparse.Namespace) -> int:
    settings = _settings_or_exit()
    problems = settings.problems_for_run()
    if problems:
        print("telegemini cannot start yet:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    configure_logging(level=settings.log_level, fmt=settings.log_format, secrets=settings.secrets())
    from telegemini.app import Telegemini

    async def main() -> None:
        bot = await Telegemini.create(settings)
        await bot.run()

    asyncio.run(main())
    return 0


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


def main(argv: list[str] | None = None) -> int:
    # Opt in to PTB's timedelta time fields now: no deprecation noise, ready for PTB 23.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    parser = argparse.ArgumentParser(prog="telegemini", description=__doc__)
    parser.add_argument("--version", action="version", version=f"telegemini {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot (polling, or webhook when WEBHOOK_URL is set)")
    commands.add_parser("migrate", help="apply database migrations")
    args = parser.parse_args(argv)
    handlers = {"run": _run, "migrate": _migrate}
    return handlers[args.command](args)
