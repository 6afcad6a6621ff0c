"""End-to-end harness: the real aiogram and the real google-genai SDK, talking over
HTTP to the in-package fake servers, started once per test session on port 0."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from telegemini.app import Telegemini
from telegemini.sandbox.fake_gemini import FakeGeminiServer
from telegemini.sandbox.fake_telegram import FakeTelegramServer, FakeUser
from telegemini.settings import Settings
from tests.helpers.databases import sqlite_url

GEMINI_KEY = "test-gemini-key-not-real"


@pytest.fixture(scope="session")
async def telegram() -> AsyncIterator[FakeTelegramServer]:
    server = FakeTelegramServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture(scope="session")
async def gemini() -> AsyncIterator[FakeGeminiServer]:
    server = FakeGeminiServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture(autouse=True)
def _fresh_fakes(telegram: FakeTelegramServer, gemini: FakeGeminiServer) -> None:
    telegram.reset()
    gemini.reset()


def make_settings(
    telegram: FakeTelegramServer,
    gemini: FakeGeminiServer,
    database_url: str,
    mode: str,
    **extra: Any,
) -> Settings:
    values: dict[str, Any] = {
        "_env_file": None,
        "telegram_bot_token": telegram.token,
        "google_api_key": GEMINI_KEY,
        "telegram_api_base_url": telegram.url,
        "gemini_base_url": gemini.url,
        "database_url": database_url,
        "gemini_retry_budget": 2.0,
        "gemini_timeout": 5.0,
        "port": 0,
        "webhook_url": "http://127.0.0.1:0" if mode == "webhook" else None,
        "telegram_secret_token": "e2e-secret_Token" if mode == "webhook" else None,
        "voice_enabled": False,  # voice tests turn it on; text tests count text messages
    }
    values.update(extra)
    return Settings(**values)


BotFactory = Callable[..., Awaitable[Telegemini]]


def process_environment(
    telegram: FakeTelegramServer, gemini: FakeGeminiServer, **values: str
) -> dict[str, str]:
    """The environment of a `telegemini run` child process pointed at the fakes (this process's
    own TELEGRAM_* and GOOGLE_* left out); ``values`` add to it or replace."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "GOOGLE_"))}
    return {
        **inherited,
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_BASE_URL": telegram.url,
        "GOOGLE_API_KEY": GEMINI_KEY,
        "GEMINI_BASE_URL": gemini.url,
        **values,
    }


@pytest.fixture
async def start_bot(
    telegram: FakeTelegramServer, gemini: FakeGeminiServer, tmp_path: Path
) -> AsyncIterator[BotFactory]:
    """Start a bot (polling by default); every bot started is stopped after the test."""
    running: list[Telegemini] = []
    default_db = sqlite_url(tmp_path)

    async def start(
        mode: str = "polling", database_url: str | None = None, **extra: Any
    ) -> Telegemini:
        settings = make_settings(telegram, gemini, database_url or default_db, mode, **extra)
        bot = await Telegemini.create(settings, public_url=lambda port: f"http://127.0.0.1:{port}")
        await bot.start()
        running.append(bot)
        return bot

    yield start
    for bot in running:
        if bot.running:
            await bot.stop()


@pytest.fixture(params=["polling", "webhook"])
async def bot(request: pytest.FixtureRequest, start_bot: BotFactory) -> Telegemini:
    """A running bot, in each delivery mode."""
    return await start_bot(request.param)


@pytest.fixture
def alice() -> FakeUser:
    return FakeUser(id=1001, first_name="Alice", username="alice", language_code="en")


@pytest.fixture
def bob() -> FakeUser:
    return FakeUser(id=1002, first_name="Bob", username="bob", language_code="en")
