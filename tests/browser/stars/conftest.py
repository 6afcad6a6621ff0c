"""A sandbox of its own for the Telegram Stars tests (issue 19): selling is on (STARS_ENABLED),
which the other browser tests' sandbox leaves off, and buying changes users' tiers and packs."""

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
        voice_enabled=False,  # buying is all text: no voice notes to wait for
        stars_enabled=True,
        premium_monthly_stars=250,
        image_packs="50:250,200:900",
    )
    database = tmp_path_factory.mktemp("stars") / "sandbox.db"
    sandbox = Sandbox(
        settings, port=0, database_url=f"sqlite+aiosqlite:///{database}", chunk_delay=0.03
    )
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()
