"""One fake Gemini per test module, reset by each module's own per-test fixtures."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from telegemini.sandbox.fake_gemini import FakeGeminiServer


@pytest.fixture(scope="module")
async def shared_server() -> AsyncIterator[FakeGeminiServer]:
    async with FakeGeminiServer() as server:
        yield server
