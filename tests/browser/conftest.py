"""Browser tests: the sandbox (fake Telegram, demo model, the real bot, the page) started once,
and Debian's Chromium driven by Playwright, one browser for the session, one context per test.

Playwright's own browser download cannot work offline, so the tests launch /usr/bin/chromium
(``make test`` installs it with apt-get). A missing browser fails the run; it never skips.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from telegemini.sandbox.runner import Sandbox
from telegemini.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium keeps knocking on the (closed) network.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # A fake microphone that plays a beep, allowed without a prompt: voice notes can be recorded.
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Answers are paced at one message a second per chat, as Telegram requires; leave room on a
# busy two-core CI machine.
expect.set_options(timeout=10_000)


@asynccontextmanager
async def running_sandbox(
    tmp_path_factory: pytest.TempPathFactory, name: str, **settings: Any
) -> AsyncIterator[Sandbox]:
    """A sandbox (fake Telegram, demo model, the real bot, the page) with a database of its own;
    ``settings`` override the browser tests' defaults."""
    values: dict[str, Any] = {
        "_env_file": None,
        "google_api_key": None,  # the demo model, whatever this machine's environment says
        "telegram_bot_token": None,
        "webhook_url": None,
        "voice_enabled": True,
        "stream_replies": True,
        "video_poll_interval": 0.25,  # a clip's progress shows within a test's patience
    }
    database = tmp_path_factory.mktemp(name) / "sandbox.db"
    sandbox = Sandbox(
        Settings(**{**values, **settings}),
        port=0,
        database_url=f"sqlite+aiosqlite:///{database}",
        chunk_delay=0.03,
    )
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()


# Package scope: the sandbox and the browser end with the browser tests, so nothing of theirs
# still runs (a polling bot, a Chromium) while the rest of the suite checks for leftovers.
@pytest.fixture(scope="package")
async def sandbox(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Sandbox]:
    async with running_sandbox(tmp_path_factory, "sandbox") as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def chromium() -> str:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium); "
            "browser tests never skip"
        )
    return str(CHROMIUM)


@pytest.fixture(scope="package")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def page(browser: Browser, sandbox: Sandbox) -> AsyncIterator[Page]:
    """A fresh tab on the chat page, loaded; fails the test on any script error."""
    context = await browser.new_context(viewport={"width": 1100, "height": 720})
    page = await context.new_page()
    errors: list[Any] = []
    page.on("pageerror", lambda error: errors.append(error))
    await page.goto(sandbox.url)
    await page.wait_for_selector("body[data-ready='1']")
    try:
        yield page
    finally:
        await context.close()
    assert errors == [], f"script errors on the page: {errors}"


@pytest.fixture
async def bot_api(sandbox: Sandbox) -> AsyncIterator[Any]:
    """Call the fake Bot API as the bot would (to show edits, deletions, entities ...)."""
    fake = sandbox.telegram
    async with aiohttp.ClientSession() as http:

        async def call(
            method: str, files: dict[str, tuple[str, bytes]] | None = None, **params: Any
        ) -> Any:
            url = f"{fake.base_url}{fake.token}/{method}"
            if files:  # multipart: uploads by name, other fields as Telegram expects them
                form = aiohttp.FormData()
                for key, value in params.items():
                    form.add_field(key, value if isinstance(value, str) else json.dumps(value))
                for key, (name, data) in files.items():
                    form.add_field(key, data, filename=name)
                request = http.post(url, data=form)
            else:
                request = http.post(url, json=params)
            async with request as response:
                body = await response.json()
            assert body["ok"], body
            return body["result"]

        yield call
