"""A sandbox of its own for the Telegram Stars tests (issue 19): selling is on (STARS_ENABLED),
which the other browser tests' sandbox leaves off, and buying changes users' tiers and packs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from telegemini.sandbox.runner import Sandbox
from tests.browser.conftest import running_sandbox


@pytest.fixture(scope="package")
async def sandbox(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Sandbox]:
    async with running_sandbox(
        tmp_path_factory,
        "stars",
        voice_enabled=False,  # buying is all text: no voice notes to wait for
        stars_enabled=True,
        premium_monthly_stars=250,
        image_packs="50:250,200:900",
    ) as sandbox:
        yield sandbox
