"""``telegemini doctor``: check a deployment and print a checklist, each failure with its fix.

Checks: the configuration, the database and its migrations, Redis, the bot token (``getMe``),
the Gemini key (a cheap ``countTokens``) and the configured models (``models.get``), the models'
known shutdown dates (``gemini/models.py``), and the webhook state (``getWebhookInfo``). Each runs
within ``TIMEOUT`` seconds and every failure becomes one line of text, never a traceback. No
secret is ever printed: the bot is shown as ``@username`` (Bot API URLs contain the token),
passwords in URLs as ``***``, and every line is scrubbed of the token, the key and the webhook
secret once more before it is shown.

Exit code: 0 when nothing failed (skipped checks are fine), 1 otherwise. "Not migrated yet" is
a *warning*: the bot migrates at start-up, but the database is not ready for it yet either. So is
a configured model that shuts down within 60 days: the bot still starts, the operator has time.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit, urlunsplit

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError, TelegramNotFound, TelegramUnauthorizedError
from aiogram.types import WebhookInfo
from aiogram.utils.token import TokenValidationError
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from telegemini.errors import (
    ConfigError,
    ConversationExpired,
    ModelMissing,
    UpstreamBusy,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from telegemini.gemini.errors import map_exception
from telegemini.gemini.models import lifecycle_report
from telegemini.gemini.rest import GeminiRest
from telegemini.observability import configure_logging
from telegemini.settings import Settings, load_settings
from telegemini.storage.revisions import database_revision, script_head
from telegemini.storage.sql import MIGRATIONS, make_engine

TIMEOUT = 5.0  # seconds per check
RECENT = timedelta(hours=1)  # a webhook delivery error younger than this is a failure
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
TROUBLESHOOTING = "see docs/deploy.md#troubleshooting"
MIGRATE_FIX = "run `telegemini migrate` (or just start the bot: `telegemini run` migrates first)"
BOTFATHER_FIX = (
    "check TELEGRAM_BOT_TOKEN: in Telegram, @BotFather → /mybots → your bot → API Token "
    "(a revoked token stops working at once); with TELEGRAM_API_BASE_URL set, check that it "
    "points at a Bot API server"
)
KEY_FIX = (
    "create a key in Google AI Studio (https://aistudio.google.com/apikey) and set GOOGLE_API_KEY"
)


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    """One line of the checklist. ``ok`` is None when the check was skipped or does not apply;
    a ``warning`` is a failure that starting the bot repairs by itself."""

    name: str
    ok: bool | None
    detail: str
    fix: str = ""
    warning: bool = False


def passed(name: str, detail: str) -> Check:
    return Check(name, True, detail)


def failed(name: str, detail: str, fix: str, *, warning: bool = False) -> Check:
    return Check(name, False, detail, fix, warning)


def skipped(name: str, detail: str) -> Check:
    return Check(name, None, detail)


# --- the checks --------------------------------------------------------------------------------


async def diagnose(
    settings: Settings, *, schema: str | None = None, today: date | None = None
) -> list[Check]:
    """Run every check (concurrently) and return them in checklist order. ``schema`` is the
    PostgreSQL schema to inspect, as ``make_engine`` takes it (tests use one per run); ``today``
    the date the models' shutdown dates are judged on (default: today in UTC)."""
    groups = await asyncio.gather(
        _database(settings, schema), _redis(settings), _telegram(settings), _gemini(settings)
    )
    database, redis, (telegram, webhook), gemini = groups
    lifecycle = model_lifecycle(settings, today=today or datetime.now(UTC).date())
    checks = [*configuration(settings), *database, redis, telegram, gemini, lifecycle, webhook]
    return [_scrubbed(check, _secrets(settings)) for check in checks]


async def preflight(settings: Settings) -> list[Check]:
    """What stops ``telegemini run`` before it starts: the doctor's checks that failed, but for
    those the start repairs itself (migrations, a webhook left over from another mode)."""
    checks = await diagnose(settings)
    for check in checks:
        if check.name == "models" and check.warning:  # the bot runs; the operator has time
            log.warning("%s; fix: %s", check.detail, check.fix)
    return [c for c in checks if c.ok is False and not c.warning and c.name != "webhook"]


def configuration(settings: Settings) -> list[Check]:
    problems = settings.problems_for_run() + settings.problems_with_files()
    if problems:
        return config_failures(problems)
    if settings.mode == "webhook":
        mode = f"webhook mode: {settings.webhook_endpoint}, PORT {settings.port}"
        if not (settings.webhook_url or "").startswith("https://"):
            mode += " (not https: Telegram only delivers to https, so a proxy must add TLS)"
    else:
        mode = "polling mode (no WEBHOOK_URL)"
    return [passed("configuration", f"complete; {mode}")]


def config_failures(problems: Iterable[str]) -> list[Check]:
    """One failed check per configuration problem; the problem texts carry their fixes."""
    checks = []
    for problem in problems:
        head, sep, tail = problem.partition(": ")
        if sep and " " in head:  # "X is not set: do this" → detail and fix
            checks.append(failed("configuration", head, tail))
        else:  # "NAME: what is wrong (how to fix)"
            checks.append(failed("configuration", problem, "correct it in .env or the environment"))
    return checks


async def _database(settings: Settings, schema: str | None) -> list[Check]:
    url = settings.database_url
    try:
        parsed = make_url(url)
    except ArgumentError:
        return _no_database("DATABASE_URL is not a database URL")
    shown = shown_url(url)
    if parsed.drivername not in SUPPORTED_DRIVERS:
        return _no_database(f"DATABASE_URL uses {parsed.drivername}://, which the bot cannot use")
    path = settings.sqlite_path()
    if path is not None:
        problem = _sqlite_file_problem(path)
        if problem is not None:
            return [problem, skipped("migrations", "needs the database")]
        if not path.exists():
            return [
                passed("database", f"{shown}: not created yet (the bot creates it at start)"),
                failed("migrations", "not migrated yet: no database", MIGRATE_FIX, warning=True),
            ]
    engine = make_engine(url, schema=schema)
    try:
        async with asyncio.timeout(TIMEOUT), engine.connect() as connection:
            current = await connection.run_sync(_current_revision)
    except Exception as exc:
        fix = (
            "check DATABASE_URL (host, port, user, password, database name) and that the "
            "server is running and reachable from here"
        )
        return [
            failed("database", f"cannot use {shown}: {_describe(exc)}", fix),
            skipped("migrations", "needs the database"),
        ]
    finally:
        await engine.dispose()
    return [passed("database", f"connected to {shown}"), _migrations(current)]


def _no_database(detail: str) -> list[Check]:
    fix = "use postgresql+asyncpg://USER:PASSWORD@HOST:5432/DB or sqlite+aiosqlite:///data/telegemini.db"
    return [failed("database", detail, fix), skipped("migrations", "needs the database")]


def _sqlite_file_problem(path: Path) -> Check | None:
    """The SQLite file, or the directory it would be created in, is not writable."""
    if path.exists():
        if not os.access(path, os.W_OK):
            return failed(
                "database",
                f"{path} is read-only for this user",
                "make the file (and its directory) writable by the user that runs the bot",
            )
        return None
    directory = path.absolute().parent
    while not directory.exists() and directory != directory.parent:
        directory = directory.parent
    if os.access(directory, os.W_OK | os.X_OK):
        return None
    return failed(
        "database",
        f"cannot create {path}: {directory} is not writable by this user",
        f"make {directory} writable by the user that runs the bot (in Docker: mount a volume "
        "at /app/data), or set DATABASE_URL to another place",
    )


def _current_revision(connection: Connection) -> str | None:
    if (current := database_revision(connection)) is not None:
        return current
    from alembic.runtime.migration import MigrationContext  # not one linear revision: ask it

    return MigrationContext.configure(connection).get_current_revision()


def _migrations(current: str | None) -> Check:
    if current is None:
        return failed(
            "migrations", "not migrated yet: the database is empty", MIGRATE_FIX, warning=True
        )
    if current == script_head():  # the usual case, answered without loading Alembic
        return passed("migrations", f"up to date ({current})")
    from alembic.script import ScriptDirectory
    from alembic.script.revision import RevisionError

    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    if current == head:
        return passed("migrations", f"up to date ({head})")
    try:
        pending = list(script.iterate_revisions("heads", current))
    except RevisionError:
        return failed(
            "migrations",
            f"the database is at {current}, a revision this version of telegemini does not know",
            "a newer telegemini migrated it: run that version (or a newer one) here too",
        )
    return failed(
        "migrations",
        f"{len(pending)} migration(s) pending: at {current}, latest is {head}",
        MIGRATE_FIX,
        warning=True,
    )


async def _redis(settings: Settings) -> Check:
    url = settings.redis_url
    if not url:
        return skipped("redis", "not configured: one instance only (REDIS_URL unset)")
    shown = shown_url(url)
    fix = "start Redis or correct REDIS_URL (or unset it to run a single instance without Redis)"
    from redis.asyncio import Redis  # only where Redis is configured

    try:
        client = Redis.from_url(url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT)
    except ValueError as exc:
        return failed("redis", f"REDIS_URL is not a Redis URL: {exc}", "use redis://HOST:6379/0")
    try:
        async with asyncio.timeout(TIMEOUT):
            await client.ping()
    except Exception as exc:
        return failed("redis", f"cannot reach {shown}: {_describe(exc)}", fix)
    finally:
        await client.aclose()
    return passed("redis", f"PONG from {shown}")


async def _telegram(settings: Settings) -> tuple[Check, Check]:
    """``getMe``, then ``getWebhookInfo`` with the same bot."""
    if settings.telegram_bot_token is None:
        return skipped("telegram", "needs TELEGRAM_BOT_TOKEN"), skipped("webhook", "needs a token")
    root = settings.telegram_api_base_url.rstrip("/")
    session = AiohttpSession(api=TelegramAPIServer.from_base(root))
    try:
        bot = Bot(settings.token(), session=session)
    except TokenValidationError:  # not shaped like a token (DIGITS:SECRET): no request is made
        return _rejected_token()
    try:
        return await _ask_telegram(settings, bot, root)
    finally:
        await bot.session.close()


async def _ask_telegram(settings: Settings, bot: Bot, root: str) -> tuple[Check, Check]:
    network_fix = f"check the network and TELEGRAM_API_BASE_URL ({root})"
    try:
        async with asyncio.timeout(TIMEOUT):
            me = await bot.get_me()
    except (TelegramUnauthorizedError, TelegramNotFound):  # 401 or 404: the token is wrong
        return _rejected_token()
    except Exception as exc:
        failure = failed("telegram", f"getMe failed: {_describe(exc)}", network_fix)
        return failure, skipped("webhook", "needs a working bot token")
    identity = passed("telegram", f"token accepted: @{me.username} (id {me.id})")
    try:
        async with asyncio.timeout(TIMEOUT):
            info = await bot.get_webhook_info()
    except Exception as exc:
        detail = f"getWebhookInfo failed: {_describe(exc)}"
        return identity, failed("webhook", detail, network_fix)
    return identity, webhook_check(settings, info)


def _rejected_token() -> tuple[Check, Check]:
    failure = failed("telegram", "the bot token was rejected by the Bot API", BOTFATHER_FIX)
    return failure, skipped("webhook", "needs a working bot token")


def webhook_check(settings: Settings, info: WebhookInfo, *, now: datetime | None = None) -> Check:
    """What Telegram's ``getWebhookInfo`` says, judged against the configured mode."""
    registered = info.url or ""
    count = info.pending_update_count
    waiting = f"{count} update{'s' if count != 1 else ''} waiting"
    if settings.mode == "polling":
        if registered:
            return failed(
                "webhook",
                f"a webhook is set ({registered}); polling would fail with 409 Conflict",
                "start `telegemini run` (it deletes it) or unset WEBHOOK_URL consistently: if "
                "another deployment uses this token in webhook mode, stop it or set WEBHOOK_URL "
                "here too",
            )
        return passed("webhook", f"none set (polling mode); {waiting}")
    expected = settings.webhook_endpoint
    if not registered:
        return failed(
            "webhook",
            f"none registered (expected {expected}); {waiting}",
            "start `telegemini run`: it registers the webhook at start-up; if it is running, "
            "another copy in polling mode deleted it: stop that copy",
        )
    if registered != expected:
        return failed(
            "webhook",
            f"Telegram delivers to {registered}, but WEBHOOK_URL gives {expected}",
            "restart `telegemini run` with the right WEBHOOK_URL (it registers the webhook at "
            "start-up), and make sure no other deployment uses this bot token",
        )
    detail = f"{registered}; {waiting}"
    date, message = info.last_error_date, info.last_error_message
    if date is None or not message:
        return passed("webhook", detail)
    if date.tzinfo is None:  # the Bot API's Unix times parse as UTC; a naive one means UTC too
        date = date.replace(tzinfo=UTC)
    detail += f"; last delivery error {date.astimezone(UTC):%Y-%m-%d %H:%M} UTC: {message}"
    if (now or datetime.now(UTC)) - date > RECENT:
        return passed("webhook", detail)
    return failed("webhook", detail, _delivery_fix(message, settings.port))


def _delivery_fix(message: str, port: int) -> str:
    lowered = message.lower()
    if "403" in lowered:
        return (
            "the bot refused Telegram's secret token: give every instance the same "
            "TELEGRAM_SECRET_TOKEN, then restart so the webhook is registered with it"
        )
    if "ssl error" in lowered or "certificate" in lowered:
        return (
            "Telegram needs a valid public HTTPS certificate at WEBHOOK_URL: put the bot behind "
            "a TLS proxy, or use the https://….run.app URL on Cloud Run"
        )
    return (
        f"make sure the bot is running and WEBHOOK_URL reaches it (it listens on PORT {port}); "
        f"{TROUBLESHOOTING}"
    )


async def _gemini(settings: Settings) -> Check:
    """A cheap authenticated call: count the tokens of "ping" with the chat model; then does
    each other configured model exist? A missing VIDEO_MODEL is a warning: the bot starts and
    hides video (``/video``, Animate) instead of failing every request."""
    if settings.google_api_key is None:
        return skipped("gemini", "needs GOOGLE_API_KEY")
    model = settings.chat_model
    missing_video: Check | None = None
    try:
        async with GeminiRest(
            api_key=settings.google_api_key.get_secret_value(),
            base_url=settings.gemini_base_url,
        ) as gemini:
            await gemini.count_tokens(model, "ping", seconds=TIMEOUT)
            for setting, name in _models(settings)[1:]:
                try:
                    await gemini.get_model(name, seconds=TIMEOUT, model=(setting, name))
                except Exception as exc:
                    failure = _gemini_failure(exc, name, setting)
                    if setting != "VIDEO_MODEL" or not isinstance(
                        map_exception(exc, model=(setting, name)), ModelMissing
                    ):
                        return failure
                    missing_video = replace(
                        failure,
                        detail=f"{failure.detail}: /video and Animate stay hidden",
                        warning=True,
                    )
    except Exception as exc:
        return _gemini_failure(exc, model)
    if missing_video is not None:
        return missing_video
    others = ", ".join(f"{setting} {name}" for setting, name in _models(settings)[1:])
    return passed("gemini", f"key accepted; CHAT_MODEL {model} answers; {others} exist")


def _models(settings: Settings) -> list[tuple[str, str]]:
    return [
        ("CHAT_MODEL", settings.chat_model),
        ("TTS_MODEL", settings.tts_model),
        ("IMAGE_MODEL", settings.image_model),
        *([("VIDEO_MODEL", settings.video_model)] if settings.video_enabled else []),
    ]


def model_lifecycle(settings: Settings, *, today: date) -> Check:
    """The configured models against the dated lifecycle table (``gemini/models.py``): a
    *warning* for a shutdown within 60 days (or past), what else is known as a note."""
    defaults = {s: Settings.model_fields[s.lower()].default for s, _ in _models(settings)}
    report = lifecycle_report(_models(settings), defaults, today=today)
    if report.warn:
        return failed("models", report.detail, report.fix, warning=True)
    return passed("models", report.detail)


def _gemini_failure(exc: Exception, model: str, setting: str = "CHAT_MODEL") -> Check:
    mapped = map_exception(exc, model=(setting, model))
    detail = str(mapped)
    if detail in ("", type(exc).__name__):  # a transport error: its own text says more
        detail = _describe(exc)
    network_fix = (
        "check the network (HTTPS to generativelanguage.googleapis.com) and GEMINI_BASE_URL"
    )
    if isinstance(mapped, ConversationExpired | ModelMissing):  # 404
        return failed(
            "gemini",
            f"{setting} {model} not found for this key",
            f"set {setting} to a current model name (https://ai.google.dev/gemini-api/docs/models)",
        )
    if isinstance(mapped, UpstreamBusy):
        return failed(
            "gemini",
            f"429, quota or rate limit reached: {detail}",
            "wait and retry; check the quota of the key's project in Google AI Studio",
        )
    if isinstance(mapped, UpstreamTimeout):
        return failed("gemini", f"no answer within {TIMEOUT:g} s", network_fix)
    if isinstance(mapped, UpstreamUnavailable):
        return failed("gemini", f"Gemini unreachable or failing: {detail}", network_fix)
    lowered = detail.lower()
    if "api key" in lowered or "http 401" in lowered or "http 403" in lowered:
        return failed("gemini", f"the API key was rejected: {detail}", KEY_FIX)
    return failed("gemini", detail, TROUBLESHOOTING)


# --- helpers -----------------------------------------------------------------------------------


def _describe(exc: BaseException) -> str:
    """A one-line description of an exception, without traceback."""
    if isinstance(exc, TimeoutError):
        return f"no answer within {TIMEOUT:g} s"
    # aiogram's errors say "HTTP Client says - ..." or "Telegram server says - ...": the
    # message alone is the reason.
    reason = exc.message if isinstance(exc, TelegramAPIError) else str(exc)
    text = " ".join(reason.split())
    if len(text) > 300:
        text = text[:299] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def shown_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (the rest, query included, as written)."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
    except ValueError:
        return "(an unreadable URL)"
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def _secrets(settings: Settings) -> list[str]:
    values = settings.secrets()
    token = settings.telegram_bot_token
    if token is not None and ":" in token.get_secret_value():
        values.append(token.get_secret_value().split(":", 1)[1])  # the secret half alone
    return sorted({v for v in values if len(v) >= 4}, key=len, reverse=True)


def _scrubbed(check: Check, secrets: list[str]) -> Check:
    detail, fix = check.detail, check.fix
    for secret in secrets:
        detail, fix = detail.replace(secret, "***"), fix.replace(secret, "***")
    return replace(check, detail=detail, fix=fix)


# --- the checklist -----------------------------------------------------------------------------

_SYMBOLS = {"ok": "✓", "fail": "✗", "warn": "!", "skip": "–"}
_ASCII = {"ok": "[ok]  ", "fail": "[FAIL]", "warn": "[warn]", "skip": "[skip]"}


def _state(check: Check) -> str:
    if check.ok is None:
        return "skip"
    if check.ok:
        return "ok"
    return "warn" if check.warning else "fail"


def render(checks: list[Check], *, ascii_only: bool = False) -> str:
    """The checklist: one line per check, the fix under each failure, then a summary."""
    symbols = _ASCII if ascii_only else _SYMBOLS
    width = max((len(check.name) for check in checks), default=0) + 2
    indent = " " * (len(symbols["ok"]) + 1 + width)
    lines = []
    for check in checks:
        lines.append(f"{symbols[_state(check)]} {check.name.ljust(width)}{check.detail}")
        if check.ok is False and check.fix:
            lines.append(f"{indent}fix: {check.fix}")
    lines.extend(["", summary(checks)])
    return "\n".join(lines) + "\n"


def summary(checks: list[Check]) -> str:
    ok = sum(check.ok is True for check in checks)
    skips = sum(check.ok is None for check in checks)
    bad = [check for check in checks if check.ok is False]
    counts = f"{ok} ok, {skips} skipped"
    if not bad:
        return f"All checks passed ({counts})."
    names = ", ".join(dict.fromkeys(check.name for check in bad))
    problems = f"{len(bad)} problem{'s' if len(bad) != 1 else ''}"
    warnings = sum(check.warning for check in bad)
    if warnings:
        problems += f" ({warnings} warning{'s' if warnings != 1 else ''})"
    them = "them" if len(bad) != 1 else "it"
    return f"{problems}: {names} ({counts}). Fix {them} and run `telegemini doctor` again."


def exit_code(checks: list[Check]) -> int:
    return 1 if any(check.ok is False for check in checks) else 0


def _can_print(out: TextIO) -> bool:
    try:
        "".join(_SYMBOLS.values()).encode(out.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def main(out: TextIO) -> int:
    """``telegemini doctor``: load the settings, run the checks, print, return the exit code."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        checks = [
            *config_failures(exc.problems),
            skipped("connections", "not checked until the configuration can be read"),
        ]
    else:
        # Library errors go to stderr, redacted; the checklist is the output.
        configure_logging(level="ERROR", fmt=settings.log_format, secrets=settings.secrets())
        checks = asyncio.run(diagnose(settings))
    out.write(render(checks, ascii_only=not _can_print(out)))
    out.flush()
    return exit_code(checks)
