"""``telegemini doctor`` against the fake Telegram and fake Gemini servers (port 0), SQLite, the CI
PostgreSQL and Redis: what the operator reads, and the exit code."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import WebhookInfo
from alembic import command
from sqlalchemy import Connection, text

from telegemini import doctor
from telegemini.cli import main
from telegemini.doctor import Check, diagnose, exit_code, render, webhook_check
from telegemini.gemini.models import lifecycle_report
from telegemini.sandbox.fake_gemini import BAD_KEY, FakeGeminiServer, Fault
from telegemini.sandbox.fake_telegram import FakeTelegramServer, FakeUser
from telegemini.settings import Settings
from telegemini.storage.sql import SqlStore, alembic_config, make_engine
from tests.helpers.databases import POSTGRES_URL, REDIS_URL, postgres_schema, sqlite_url

KEY = "doctor-test-key-not-real"
SECRET = "doctor-webhook_Secret"
BOT = "@telegemini_test_bot"


@pytest.fixture(scope="module")
async def telegram() -> AsyncIterator[FakeTelegramServer]:
    # No retries: a failed webhook delivery is recorded for getWebhookInfo at once.
    async with FakeTelegramServer(webhook_retry_delays=()) as server:
        yield server


@pytest.fixture(scope="module")
async def gemini() -> AsyncIterator[FakeGeminiServer]:
    async with FakeGeminiServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh_fakes(telegram: FakeTelegramServer, gemini: FakeGeminiServer) -> None:
    telegram.reset()
    gemini.reset()


@pytest.fixture
async def migrated(tmp_path: Path) -> str:
    url = sqlite_url(tmp_path)
    store = await SqlStore.open(url)
    await store.close()
    return url


def make_settings(
    telegram: FakeTelegramServer, gemini: FakeGeminiServer, database_url: str, **extra: Any
) -> Settings:
    values: dict[str, Any] = {
        "_env_file": None,
        "telegram_bot_token": telegram.token,
        "google_api_key": KEY,
        "telegram_api_base_url": telegram.url,
        "gemini_base_url": gemini.url,
        "database_url": database_url,
        "redis_url": None,
        "webhook_url": None,
        "k_service": None,
        "telegram_secret_token": SECRET,
    }
    values.update(extra)
    return Settings(**values)


async def run_doctor(settings: Settings, **kwargs: Any) -> tuple[dict[str, Check], str, int]:
    """The checks by name, the printed checklist, and the exit code; no secret is printed."""
    checks = await diagnose(settings, **kwargs)
    text = render(checks)
    for secret in settings.secrets():
        assert secret not in text
    return {check.name: check for check in checks}, text, exit_code(checks)


def line(text: str, name: str) -> str:
    """The checklist line of one check (symbol, name, detail)."""
    return next(row for row in text.splitlines() if row[2:].startswith(f"{name} "))


async def set_webhook(telegram: FakeTelegramServer, url: str) -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(telegram.url))
    async with Bot(telegram.token, session=session) as bot:  # closes the session
        await bot.set_webhook(url, secret_token=SECRET)


# --- all green ---------------------------------------------------------------------------------


async def test_all_green_with_a_migrated_sqlite_database(telegram, gemini, migrated):
    checks, text, code = await run_doctor(make_settings(telegram, gemini, migrated))

    assert code == 0
    assert [name for name, check in checks.items() if check.ok is not True] == ["redis"]
    assert line(text, "configuration").startswith("✓ configuration  complete; polling mode")
    assert line(text, "telegram") == f"✓ telegram       token accepted: {BOT} (id 123456)"
    assert "up to date (m0" in line(text, "migrations")
    assert (
        line(text, "redis")
        == "– redis          not configured: one instance only (REDIS_URL unset)"
    )
    assert "key accepted; CHAT_MODEL gemini-3.5-flash-lite answers" in line(text, "gemini")
    assert line(text, "webhook") == "✓ webhook        none set (polling mode); 0 updates waiting"
    assert "fix:" not in text
    assert text.endswith("\nAll checks passed (7 ok, 1 skipped).\n")
    assert telegram.calls_of("getMe")  # a real Bot API round trip, as is the countTokens call
    assert any(":countTokens" in request.path for request in gemini.requests)


async def test_the_doctor_command_prints_the_checklist(
    telegram, gemini, migrated, tmp_path, monkeypatch, capsys
):
    """``telegemini doctor`` as the CLI runs it (``python -m telegemini`` calls the same
    ``main``), in a thread with its own event loop while this loop serves the fakes."""
    monkeypatch.chdir(tmp_path)  # no .env here
    environment = {
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "GOOGLE_API_KEY": KEY,
        "TELEGRAM_API_BASE_URL": telegram.url,
        "GEMINI_BASE_URL": gemini.url,
        "DATABASE_URL": migrated,
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    for name in ("REDIS_URL", "WEBHOOK_URL", "K_SERVICE", "GEMINI_API_KEY"):
        monkeypatch.delenv(name, raising=False)

    assert await asyncio.to_thread(main, ["doctor"]) == 0
    text = capsys.readouterr().out
    assert f"✓ telegram       token accepted: {BOT}" in text
    assert text.endswith("All checks passed (7 ok, 1 skipped).\n")
    assert telegram.token not in text


# --- credentials -------------------------------------------------------------------------------


async def test_a_wrong_bot_token_fails_with_the_botfather_fix(telegram, gemini, migrated):
    wrong = "123456:AAWrongTokenThatTheFakeRejects"
    checks, text, code = await run_doctor(
        make_settings(telegram, gemini, migrated, telegram_bot_token=wrong)
    )

    assert code == 1
    assert line(text, "telegram") == "✗ telegram       the bot token was rejected by the Bot API"
    assert "fix: check TELEGRAM_BOT_TOKEN: in Telegram, @BotFather" in text
    assert checks["webhook"].ok is None  # needs a working token
    assert "AAWrongTokenThatTheFakeRejects" not in text
    assert text.endswith(
        "1 problem: telegram (5 ok, 2 skipped). Fix it and run `telegemini doctor` again.\n"
    )


@pytest.mark.parametrize("wrong", ["not-a-token", "123456:", "abc:AAWrongToken", "1 2:AA"])
def test_a_malformed_bot_token_is_a_configuration_problem(monkeypatch, tmp_path, capsys, wrong):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", wrong)

    assert doctor.main(sys.stdout) == 1
    text = capsys.readouterr().out
    assert "✗ configuration  TELEGRAM_BOT_TOKEN: Value error, this is not a bot token" in text
    assert wrong not in text  # never shown, not even a wrong one
    assert "– connections    not checked until the configuration can be read" in text


async def test_an_empty_bot_token_counts_as_unset(telegram, gemini, migrated):
    checks, text, _ = await run_doctor(
        make_settings(telegram, gemini, migrated, telegram_bot_token="")
    )
    assert checks["telegram"].ok is None
    assert line(text, "telegram") == "– telegram       needs TELEGRAM_BOT_TOKEN"
    assert not telegram.calls_of("getMe")


async def test_a_404_from_getme_is_a_rejected_token(telegram, gemini, migrated):
    """Telegram answers 404 to a well-formed token whose bot does not exist."""
    telegram.fail_next("getMe", status=404)
    checks, text, code = await run_doctor(make_settings(telegram, gemini, migrated))

    assert code == 1
    assert line(text, "telegram") == "✗ telegram       the bot token was rejected by the Bot API"
    assert checks["webhook"].ok is None


async def test_an_unreachable_bot_api_names_the_network_error(telegram, gemini, migrated):
    settings = make_settings(
        telegram, gemini, migrated, telegram_api_base_url="http://127.0.0.1:1/"
    )
    checks, text, code = await run_doctor(settings)

    assert code == 1
    assert checks["telegram"].detail.startswith(
        "getMe failed: TelegramNetworkError: ClientConnectorError: Cannot connect to host "
        "127.0.0.1:1"
    )
    assert "fix: check the network and TELEGRAM_API_BASE_URL (http://127.0.0.1:1)" in text
    assert checks["webhook"].ok is None


async def test_a_failing_getwebhookinfo_keeps_the_bot_identity(telegram, gemini, migrated):
    telegram.fail_next("getWebhookInfo", status=500, description="Internal Server Error")
    checks, _text, code = await run_doctor(make_settings(telegram, gemini, migrated))

    assert code == 1
    assert checks["telegram"].detail == f"token accepted: {BOT} (id 123456)"
    assert checks["webhook"].detail == (
        "getWebhookInfo failed: TelegramServerError: Internal Server Error"
    )


async def test_an_invalid_gemini_key_fails_with_the_ai_studio_fix(telegram, gemini, migrated):
    checks, text, code = await run_doctor(
        make_settings(telegram, gemini, migrated, google_api_key=BAD_KEY)
    )

    assert code == 1
    assert checks["gemini"].ok is False
    assert "✗ gemini         the API key was rejected: HTTP 400: API key not valid" in text
    assert "fix: create a key in Google AI Studio (https://aistudio.google.com/apikey)" in text


@pytest.mark.parametrize(
    ("status", "detail", "fix"),
    [
        (
            404,
            "CHAT_MODEL gemini-3.5-flash-lite not found",
            "set CHAT_MODEL to a current model name",
        ),
        (429, "429, quota or rate limit reached", "check the quota of the key's project"),
        (503, "Gemini unreachable or failing", "check the network"),
    ],
)
async def test_gemini_errors_say_what_to_change(telegram, gemini, migrated, status, detail, fix):
    gemini.faults.add(Fault(status=status, match=":countTokens", style="google"))
    checks, _text, code = await run_doctor(make_settings(telegram, gemini, migrated))

    assert code == 1
    assert checks["gemini"].ok is False
    assert detail in checks["gemini"].detail
    assert fix in checks["gemini"].fix


@pytest.mark.parametrize(
    ("setting", "model"),
    [("TTS_MODEL", "gemini-3.8-flash-lite-tts"), ("IMAGE_MODEL", "gemini-3-pro-image")],
)
async def test_every_configured_model_must_exist(telegram, gemini, migrated, setting, model):
    gemini.retired_models.add(model)
    _checks, text, code = await run_doctor(make_settings(telegram, gemini, migrated))

    assert code == 1
    assert line(text, "gemini") == f"✗ gemini         {setting} {model} not found for this key"
    assert f"fix: set {setting} to a current model name" in text


async def test_missing_credentials_are_configuration_failures_and_skip_their_checks(
    telegram, gemini, migrated
):
    settings = make_settings(
        telegram, gemini, migrated, telegram_bot_token=None, google_api_key=None
    )
    checks, text, code = await run_doctor(settings)

    assert code == 1
    assert "✗ configuration  TELEGRAM_BOT_TOKEN is not set" in text
    assert "fix: talk to @BotFather in Telegram, send /newbot" in text
    assert "✗ configuration  GOOGLE_API_KEY is not set" in text
    assert "fix: create a key at https://aistudio.google.com/apikey" in text
    assert [checks[name].ok for name in ("telegram", "gemini", "webhook")] == [None, None, None]


async def test_no_answer_within_the_time_limit_is_a_failure_not_a_hang(
    telegram, gemini, migrated, monkeypatch
):
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # accept, never answer
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setattr(doctor, "TIMEOUT", 0.3)
    try:
        settings = make_settings(
            telegram,
            gemini,
            migrated,
            telegram_api_base_url=f"http://127.0.0.1:{port}",
            gemini_base_url=f"http://127.0.0.1:{port}",
        )
        checks, text, code = await run_doctor(settings)
    finally:
        server.close()

    assert code == 1
    assert checks["telegram"].detail == "getMe failed: no answer within 0.3 s"
    assert f"check the network and TELEGRAM_API_BASE_URL (http://127.0.0.1:{port})" in text
    assert checks["gemini"].detail == "no answer within 0.3 s"


# --- database ----------------------------------------------------------------------------------


async def test_an_empty_database_is_not_migrated_yet(telegram, gemini, tmp_path):
    url = sqlite_url(tmp_path)
    engine = make_engine(url)
    async with engine.connect():
        pass  # creates the empty file
    await engine.dispose()
    _, text, code = await run_doctor(make_settings(telegram, gemini, url))

    assert code == 1
    assert line(text, "migrations") == "! migrations     not migrated yet: the database is empty"
    assert "fix: run `telegemini migrate` (or just start the bot" in text
    assert "1 problem (1 warning): migrations" in text


async def test_a_missing_sqlite_file_will_be_created_at_start(telegram, gemini, tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/new/bot.db"
    checks, _, code = await run_doctor(make_settings(telegram, gemini, url))

    assert code == 1
    assert checks["database"].ok is True
    assert "not created yet" in checks["database"].detail
    assert checks["migrations"].warning
    assert not (tmp_path / "new").exists()  # the doctor only looks


async def test_pending_migrations_are_counted(telegram, gemini, tmp_path):
    url = sqlite_url(tmp_path)
    engine = make_engine(url)

    def upgrade(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), "m002_preferences")

    async with engine.begin() as connection:
        await connection.run_sync(upgrade)
    await engine.dispose()
    checks, _, code = await run_doctor(make_settings(telegram, gemini, url))

    assert code == 1
    assert "migration(s) pending: at m002_preferences, latest is m0" in checks["migrations"].detail
    assert checks["migrations"].warning


async def test_a_database_migrated_by_a_newer_version_is_a_failure(telegram, gemini, migrated):
    engine = make_engine(migrated)
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = 'm999_future'"))
    await engine.dispose()
    checks, text_, code = await run_doctor(make_settings(telegram, gemini, migrated))

    assert code == 1
    assert line(text_, "migrations") == (
        "✗ migrations     the database is at m999_future, "
        "a revision this version of telegemini does not know"
    )
    assert not checks["migrations"].warning


@pytest.mark.postgres
async def test_a_hosting_providers_postgres_url_gets_the_async_driver(telegram, gemini):
    url = "postgres://root:hunter22@127.0.0.1:5432/test"  # how Heroku and others hand it out
    settings = make_settings(telegram, gemini, url)
    assert settings.database_url == "postgresql+asyncpg://root:hunter22@127.0.0.1:5432/test"
    checks, text, _ = await run_doctor(settings)
    assert checks["database"].ok is True
    assert checks["database"].detail.startswith("connected to postgresql+asyncpg://root:***@")
    assert "hunter22" not in text


@pytest.mark.postgres
async def test_postgres_fresh_then_migrated(telegram, gemini):
    settings = make_settings(telegram, gemini, POSTGRES_URL)
    async with postgres_schema() as schema:
        checks, _, code = await run_doctor(settings, schema=schema)
        assert checks["database"].ok is True
        assert checks["database"].detail.startswith("connected to postgresql+asyncpg://")
        assert checks["migrations"].detail == "not migrated yet: the database is empty"
        assert code == 1

        store = await SqlStore.open(POSTGRES_URL, schema=schema)
        await store.close()
        checks, _, code = await run_doctor(settings, schema=schema)
        assert checks["migrations"].ok is True
        assert code == 0


async def test_an_unreachable_postgres_fails_without_a_traceback(telegram, gemini):
    url = "postgresql+asyncpg://bot:hunter22@127.0.0.1:1/bot"
    checks, text, code = await run_doctor(make_settings(telegram, gemini, url))

    assert code == 1
    assert line(text, "database").startswith(
        "✗ database       cannot use postgresql+asyncpg://bot:***@127.0.0.1:1/bot: "
    )
    assert "fix: check DATABASE_URL" in text
    assert checks["migrations"].ok is None
    assert "hunter22" not in text
    assert "Traceback" not in text


# --- Redis -------------------------------------------------------------------------------------


async def test_an_unreachable_redis_fails_and_says_so(telegram, gemini, migrated):
    url = "redis://:hunter22@127.0.0.1:1/0"
    _checks, text, code = await run_doctor(make_settings(telegram, gemini, migrated, redis_url=url))

    assert code == 1
    assert line(text, "redis").startswith(
        "✗ redis          cannot reach redis://:***@127.0.0.1:1/0"
    )
    assert "fix: start Redis or correct REDIS_URL" in text
    assert "hunter22" not in text


@pytest.mark.redis
async def test_a_reachable_redis_answers_pong(telegram, gemini, migrated):
    settings = make_settings(telegram, gemini, migrated, redis_url=REDIS_URL)
    checks, _, code = await run_doctor(settings)

    assert checks["redis"].ok is True, checks["redis"].detail
    assert checks["redis"].detail.startswith("PONG from redis://")
    assert code == 0


# --- webhook -----------------------------------------------------------------------------------


async def test_webhook_mode_with_the_webhook_registered(telegram, gemini, migrated):
    settings = make_settings(telegram, gemini, migrated, webhook_url="http://127.0.0.1:1/")
    await set_webhook(telegram, "http://127.0.0.1:1/webhook")
    checks, text, code = await run_doctor(settings)

    assert code == 0
    assert "webhook mode: http://127.0.0.1:1/webhook" in checks["configuration"].detail
    assert line(text, "webhook") == (
        "✓ webhook        http://127.0.0.1:1/webhook; 0 updates waiting"
    )


async def test_webhook_registered_elsewhere_is_a_mismatch(telegram, gemini, migrated):
    settings = make_settings(telegram, gemini, migrated, webhook_url="https://bot.example")
    await set_webhook(telegram, "https://old.example/webhook")
    checks, text, code = await run_doctor(settings)

    assert code == 1
    assert checks["webhook"].detail == (
        "Telegram delivers to https://old.example/webhook, "
        "but WEBHOOK_URL gives https://bot.example/webhook"
    )
    assert "fix: restart `telegemini run` with the right WEBHOOK_URL" in text


async def test_webhook_mode_without_a_registered_webhook(telegram, gemini, migrated):
    settings = make_settings(telegram, gemini, migrated, webhook_url="https://bot.example")
    checks, _, code = await run_doctor(settings)

    assert code == 1
    assert checks["webhook"].detail.startswith("none registered (expected https://bot.example/")
    assert "it registers the webhook at start-up" in checks["webhook"].fix


async def test_polling_while_a_webhook_is_set_fails_with_409(telegram, gemini, migrated):
    await set_webhook(telegram, "https://bot.example/webhook")
    _checks, text, code = await run_doctor(make_settings(telegram, gemini, migrated))

    assert code == 1
    assert line(text, "webhook") == (
        "✗ webhook        a webhook is set (https://bot.example/webhook); "
        "polling would fail with 409 Conflict"
    )
    assert "fix: start `telegemini run` (it deletes it) or unset WEBHOOK_URL consistently" in text


async def test_a_recent_delivery_error_and_the_pending_count_are_reported(
    telegram, gemini, migrated
):
    settings = make_settings(telegram, gemini, migrated, webhook_url="http://127.0.0.1:1")
    await set_webhook(telegram, "http://127.0.0.1:1/webhook")  # nothing listens there
    telegram.send_text(FakeUser(id=7, first_name="Ann"), "hello")
    await telegram.wait_until(lambda: bool(telegram.webhook_attempts), what="a delivery")
    checks, text, code = await run_doctor(settings)

    assert code == 1
    detail = checks["webhook"].detail
    assert detail.startswith("http://127.0.0.1:1/webhook; 1 update waiting; last delivery error ")
    assert "UTC: Connection failed" in detail
    assert "make sure the bot is running and WEBHOOK_URL reaches it" in text


def info(message: str, age: timedelta, now: datetime) -> WebhookInfo:
    return WebhookInfo(
        url="https://bot.example/webhook",
        has_custom_certificate=False,
        pending_update_count=3,
        last_error_date=now - age,
        last_error_message=message,
    )


@pytest.mark.parametrize(
    ("message", "age", "ok", "fix"),
    [
        ("Wrong response from the webhook: 403 Forbidden", timedelta(minutes=2), False, "SECRET"),
        ("SSL error {error:0A000086:SSL routines}", timedelta(minutes=2), False, "certificate"),
        ("Wrong response from the webhook: 503 Service Unavailable", timedelta(0), False, "PORT"),
        ("Wrong response from the webhook: 503 Service Unavailable", timedelta(days=2), True, ""),
    ],
)
def test_delivery_errors_are_judged_by_age_and_explained(message, age, ok, fix):
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    settings = Settings(_env_file=None, webhook_url="https://bot.example", port=8080)
    check = webhook_check(settings, info(message, age, now), now=now)

    assert check.ok is ok
    assert "3 updates waiting; last delivery error 2026-" in check.detail
    assert message in check.detail
    assert fix in check.fix


def test_the_bot_api_unix_time_and_a_naive_datetime_are_read_as_utc():
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    settings = Settings(_env_file=None, webhook_url="https://bot.example", port=8080)
    parsed = WebhookInfo.model_validate(
        {
            "url": "https://bot.example/webhook",
            "has_custom_certificate": False,
            "pending_update_count": 1,
            "last_error_date": int((now - timedelta(minutes=5)).timestamp()),
            "last_error_message": "Connection refused",
        }
    )
    naive = info("Connection refused", timedelta(minutes=5), now.replace(tzinfo=None))

    for webhook in (parsed, naive):
        check = webhook_check(settings, webhook, now=now)
        assert check.ok is False
        assert "last delivery error 2026-05-01 11:55 UTC: Connection refused" in check.detail


# --- the checklist -----------------------------------------------------------------------------


def test_render_falls_back_to_ascii_and_indents_fixes():
    checks = [
        Check("configuration", True, "complete"),
        Check("redis", False, "cannot reach redis://r:6379/0", "start Redis"),
        Check("migrations", False, "not migrated yet", "run `telegemini migrate`", warning=True),
        Check("webhook", None, "needs a token"),
    ]

    assert render(checks, ascii_only=True).splitlines() == [
        "[ok]   configuration  complete",
        "[FAIL] redis          cannot reach redis://r:6379/0",
        "                      fix: start Redis",
        "[warn] migrations     not migrated yet",
        "                      fix: run `telegemini migrate`",
        "[skip] webhook        needs a token",
        "",
        "2 problems (1 warning): redis, migrations (1 ok, 1 skipped). "
        "Fix them and run `telegemini doctor` again.",
    ]
    assert exit_code(checks) == 1
    assert exit_code([checks[0], checks[3]]) == 0


def test_unreadable_configuration_is_a_checklist_too(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORT", "not-a-port")

    assert doctor.main(sys.stdout) == 1
    text = capsys.readouterr().out
    assert "✗ configuration  PORT: Input should be a valid integer" in text
    assert "– connections    not checked until the configuration can be read" in text


async def test_a_configured_model_shutting_down_within_60_days_is_a_warning(
    telegram, gemini, migrated
):
    settings = make_settings(telegram, gemini, migrated, tts_model="gemini-3.1-flash-tts-preview")
    checks, text, code = await run_doctor(settings, today=date(2026, 12, 2))
    assert code == 1  # a problem to act on, though `run` still starts (a warning)
    assert "(1 warning)" in text
    models = checks["models"]
    assert models.warning
    assert not models.ok
    assert "TTS_MODEL gemini-3.1-flash-tts-preview shuts down on 2026-12-18 (in 16 days)" in (
        models.detail
    )
    assert "set TTS_MODEL to gemini-3.8-flash-lite-tts" in models.fix
    # Two months earlier the same date is no warning yet, only a note.
    checks, _text, _code = await run_doctor(settings, today=date(2026, 9, 1))
    assert checks["models"].ok
    assert "no known shutdown within 60 days" in checks["models"].detail
    assert "shuts down on 2026-12-18 (in 108 days)" in checks["models"].detail


async def test_the_default_models_have_no_known_shutdown_soon(telegram, gemini, migrated):
    checks, _text, _code = await run_doctor(make_settings(telegram, gemini, migrated))
    assert checks["models"].ok
    assert checks["models"].detail.startswith("no known shutdown within 60 days (table of ")


def test_a_past_shutdown_says_so_and_names_the_default_as_fix():
    report = lifecycle_report(
        [("CHAT_MODEL", "gemini-2.5-flash")],
        {"CHAT_MODEL": "gemini-3.6-flash"},
        today=date(2026, 12, 2),
    )
    assert report.warn
    assert "CHAT_MODEL gemini-2.5-flash was scheduled to shut down on 2026-10-20" in report.detail
    assert report.fix == "set CHAT_MODEL to gemini-3.6-flash before then"


async def test_a_missing_video_model_is_a_warning_and_does_not_stop_the_bot(
    telegram, gemini, migrated
):
    gemini.retired_models.add("gemini-omni-1.2-flash")
    settings = make_settings(telegram, gemini, migrated)
    checks, text, code = await run_doctor(settings)
    assert code == 1
    assert checks["gemini"].warning
    assert "VIDEO_MODEL gemini-omni-1.2-flash not found for this key" in checks["gemini"].detail
    assert "/video and Animate stay hidden" in checks["gemini"].detail
    assert "set VIDEO_MODEL to a current model name" in text
    assert await doctor.preflight(settings) == []  # `run` still starts

    checks, _text, _code = await run_doctor(
        make_settings(telegram, gemini, migrated, video_enabled=False)
    )
    assert checks["gemini"].ok  # video off: its model is not asked about
