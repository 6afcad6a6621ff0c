"""The whole sandbox in one event loop: fake Telegram, demo model, the real bot, the page."""

from __future__ import annotations

import asyncio
import socket
import webbrowser
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr

from telegemini.sandbox.demo import DEMO_LABEL
from telegemini.sandbox.runner import (
    CannotListenError,
    Sandbox,
    open_in_browser,
    sandbox_settings,
)
from telegemini.settings import Settings

ALICE = 1001


def user_settings(**values: object) -> Settings:
    """What a user's environment holds (nothing from this machine's .env or environment)."""
    defaults: dict[str, object] = {
        "_env_file": None,
        "google_api_key": None,
        "telegram_bot_token": None,
        "webhook_url": None,
    }
    return Settings(**{**defaults, **values})  # type: ignore[arg-type]


def test_the_bot_keeps_the_users_models_but_talks_to_local_servers():
    mine = user_settings(
        google_api_key="real-key",
        chat_model="gemini-9-pro",
        tts_voice="Puck",
        webhook_url="https://bot.example.com",
        telegram_secret_token="s3cret",
        port=9000,
    )
    settings = sandbox_settings(
        mine,
        telegram_url="http://127.0.0.1:1",
        token="1:fake",
        gemini_url=None,
        database_url="sqlite+aiosqlite:///data/sandbox.db",
    )
    assert (settings.chat_model, settings.tts_voice) == ("gemini-9-pro", "Puck")
    assert settings.google_api_key == SecretStr("real-key")
    assert settings.gemini_base_url is None
    assert settings.telegram_api_base_url == "http://127.0.0.1:1"
    assert (settings.mode, settings.telegram_secret_token, settings.port) == ("polling", None, 8080)


def test_without_a_key_the_bot_talks_to_the_demo_model():
    settings = sandbox_settings(
        user_settings(),
        telegram_url="http://127.0.0.1:1",
        token="1:fake",
        gemini_url="http://127.0.0.1:2",
        database_url="sqlite+aiosqlite:///x.db",
    )
    assert settings.google_api_key == SecretStr("demo")
    assert settings.gemini_base_url == "http://127.0.0.1:2"


def test_with_a_key_there_is_no_demo_server_and_the_page_names_the_model():
    sandbox = Sandbox(user_settings(google_api_key="real", chat_model="gemini-9-pro"), port=0)
    assert (sandbox.demo, sandbox.gemini, sandbox.model_label) == (False, None, "gemini-9-pro")


async def chat(sandbox: Sandbox, text: str, count: int) -> list[dict[str, object]]:
    async with aiohttp.ClientSession() as http:
        body = {"user_id": ALICE, "chat_id": ALICE, "text": text}
        async with http.post(f"{sandbox.url}/sim/send", json=body) as response:
            assert response.status == 200
    return await sandbox.telegram.wait_for_bot_messages(ALICE, count, timeout=10)


async def test_the_sandbox_answers_restarts_fresh_and_stops_cleanly(tmp_path: Path):
    database = f"sqlite+aiosqlite:///{tmp_path / 'sandbox.db'}"
    settings = user_settings(voice_enabled=True)
    before = asyncio.all_tasks()

    for run in range(2):  # a second run reuses the database file: it must start afresh
        sandbox = Sandbox(settings, port=0, database_url=database, chunk_delay=0.0)
        await sandbox.start()
        try:
            assert sandbox.model_label == DEMO_LABEL
            banner = sandbox.banner()
            assert banner.splitlines()[0] == "telegemini sandbox is ready"
            assert f"chat page  {sandbox.url}" in banner
            assert f"model      {DEMO_LABEL}: set GOOGLE_API_KEY" in banner
            assert "admin      Alice (user id 1001)" in banner
            assert f"data       {tmp_path / 'sandbox.db'}, new at every start" in banner
            assert "stop       Ctrl-C" in banner
            text, voice = await chat(sandbox, f"hello {run}", 2)
            # The sandbox's Telegram has rich messages (Bot API 10.1): the answer is one.
            assert "text" not in text
            assert text["rich_message"]["blocks"][0]["type"] == "paragraph"
            assert str(text["_rich_markdown"]).startswith(
                f"You said: *hello {run}*\n\nI am the **demo model**"
            )
            assert "voice" in voice
        finally:
            await sandbox.stop()
        with pytest.raises(RuntimeError, match="not started"):
            _ = sandbox.url

    # Whatever the sandbox started must end by itself, promptly (a few loop turns may pass
    # while cancelled long polls and the HTTP client's stop signals unwind).
    leftovers = asyncio.all_tasks() - before - {asyncio.current_task()}
    if leftovers:
        _, pending = await asyncio.wait(leftovers, timeout=2)
        assert pending == set()


class RecordingBrowser(webbrowser.BackgroundBrowser):
    def __init__(self) -> None:
        super().__init__("chromium")
        self.opened: list[str] = []

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        self.opened.append(url)
        return True


def test_the_page_opens_in_a_graphical_browser(monkeypatch):
    browser = RecordingBrowser()
    monkeypatch.setattr(webbrowser, "get", lambda: browser)
    assert open_in_browser("http://127.0.0.1:8765")
    assert browser.opened == ["http://127.0.0.1:8765"]


def test_never_in_a_terminal_browser_or_none(monkeypatch):
    monkeypatch.setattr(webbrowser, "get", lambda: webbrowser.GenericBrowser("lynx"))
    assert not open_in_browser("http://127.0.0.1:8765")

    def nothing() -> webbrowser.BaseBrowser:
        raise webbrowser.Error("could not locate runnable browser")

    monkeypatch.setattr(webbrowser, "get", nothing)
    assert not open_in_browser("http://127.0.0.1:8765")


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port something else listens on."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


async def test_a_taken_port_is_reported_and_nothing_is_left_running(tmp_path: Path, taken_port):
    before = asyncio.all_tasks()
    database = f"sqlite+aiosqlite:///{tmp_path / 'sandbox.db'}"
    (tmp_path / "sandbox.db").write_bytes(b"the running sandbox's data")
    sandbox = Sandbox(user_settings(), port=taken_port, database_url=database)
    with pytest.raises(CannotListenError, match=f"cannot listen on 127.0.0.1:{taken_port}"):
        await sandbox.start()
    assert sandbox.bot is None
    # The sandbox that has the port keeps its data.
    assert (tmp_path / "sandbox.db").read_bytes() == b"the running sandbox's data"
    # Whatever the sandbox started must end by itself, promptly (a few loop turns may pass
    # while cancelled long polls and the HTTP client's stop signals unwind).
    leftovers = asyncio.all_tasks() - before - {asyncio.current_task()}
    if leftovers:
        _, pending = await asyncio.wait(leftovers, timeout=2)
        assert pending == set()
