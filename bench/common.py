"""Shared benchmark plumbing: the fake servers, a real bot pointed at them, a loop-lag probe."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import aiohttp

from telegemini.app import Telegemini
from telegemini.sandbox.fake_telegram import FakeTelegramServer
from telegemini.settings import Settings


@dataclass
class Rig:
    telegram: FakeTelegramServer
    gemini_url: str
    bot: Telegemini

    async def script(self, text: str) -> None:
        """The next text answer of the fake Gemini (in its own process)."""
        async with aiohttp.ClientSession() as session:
            response = await session.post(f"{self.gemini_url}/_fake/script", json={"text": text})
            response.raise_for_status()


@asynccontextmanager
async def gemini_process(*args: str) -> AsyncIterator[str]:
    """The fake Gemini in a child process (so it does not share our event loop); its URL."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.gemini_process", *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stdin is not None
    line = (await process.stdout.readline()).decode().split()
    try:
        yield line[1]
    finally:
        process.stdin.close()
        await process.wait()


@asynccontextmanager
async def rig(*, mode: str = "polling", gemini_args: tuple[str, ...] = (), **settings: Any
              ) -> AsyncIterator[Rig]:  # fmt: skip
    """The fake Telegram in this process, the fake Gemini in another, and a real bot."""
    telegram = FakeTelegramServer()
    await telegram.start()
    async with gemini_process(*gemini_args) as gemini_url:
        with TemporaryDirectory() as tmp:
            values: dict[str, Any] = {
                "_env_file": None,
                "telegram_bot_token": telegram.token,
                "google_api_key": "bench-key",
                "telegram_api_base_url": telegram.url,
                "gemini_base_url": gemini_url,
                "database_url": f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}",
                "port": 0,
                "webhook_url": "http://127.0.0.1:0" if mode == "webhook" else None,
                "log_level": "WARNING",
            }
            values.update(settings)
            bot = await Telegemini.create(
                Settings(**values), public_url=lambda port: f"http://127.0.0.1:{port}"
            )
            await bot.start()
            try:
                yield Rig(telegram, gemini_url, bot)
            finally:
                await bot.stop()
                await telegram.stop()


class LoopLag:
    """The longest stall of the event loop while the block runs (a 5 ms ticker)."""

    def __init__(self, tick: float = 0.005) -> None:
        self._tick = tick
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self._tick)
            self.worst = max(self.worst, time.perf_counter() - before - self._tick)

    async def __aenter__(self) -> LoopLag:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
