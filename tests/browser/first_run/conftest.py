"""A sandbox of their own for the first-run tests: they change users' modes, languages and
voice settings, which the other browser tests' shared chats must not see."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from telegemini.sandbox.runner import Sandbox
from telegemini.settings import Settings


@pytest.fixture(scope="package")
async def sandbox(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Sandbox]:
    settings = Settings(
        _env_file=None,
        google_api_key=None,  # the demo model, whatever this machine's environment says
        telegram_bot_token=None,
        webhook_url=None,
        voice_enabled=True,
        stream_replies=True,
    )
    database = tmp_path_factory.mktemp("first-run") / "sandbox.db"
    sandbox = Sandbox(
        settings, port=0, database_url=f"sqlite+aiosqlite:///{database}", chunk_delay=0.03
    )
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()
