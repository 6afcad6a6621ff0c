"""A sandbox of their own for the first-run tests: they change users' modes, languages and
voice settings, which the other browser tests' shared chats must not see."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from telegemini.sandbox.runner import Sandbox
from tests.browser.conftest import running_sandbox


@pytest.fixture(scope="package")
async def sandbox(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Sandbox]:
    async with running_sandbox(tmp_path_factory, "first-run") as sandbox:
        yield sandbox
