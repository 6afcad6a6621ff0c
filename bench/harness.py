"""The benchmark rig: the fake Telegram and fake Gemini in this process, the bot in its own
process (``telegemini run``, exactly as operators run it), so the bot's CPU time, memory and
event-loop stalls are its own."""

from __future__ import annotations

import asyncio
import gc
import os
import re
import signal
import socket
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegemini.sandbox.fake_gemini import FakeGeminiServer
from telegemini.sandbox.fake_telegram import FakeTelegramServer

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_STALL = re.compile(r"longest stall ([0-9.]+) ms")
WEBHOOK_SECRET = "bench-secret"
ROOT = Path(__file__).parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Fakes:
    telegram: FakeTelegramServer = field(default_factory=FakeTelegramServer)
    gemini: FakeGeminiServer = field(default_factory=FakeGeminiServer)

    async def start(self) -> None:
        # The fakes share this process with the runs before them, whose objects (every call
        # each fake recorded) made this process's full garbage collections 100-215 ms long by
        # the end of a run: a stall of both fakes, which the bot met as a queue. Frozen, they
        # are no longer walked; ``stop`` hands them back to be freed before the next run.
        gc.collect()
        gc.freeze()
        await self.telegram.start()
        await self.gemini.start()

    async def stop(self) -> None:
        await self.telegram.stop()
        await self.gemini.stop()
        gc.unfreeze()


async def terminate(process: asyncio.subprocess.Process) -> int:
    """SIGTERM unless it has exited, wait; kill it when it has not exited within 30 s."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    try:
        return await asyncio.wait_for(process.wait(), 30)
    except TimeoutError:
        process.kill()
        return await process.wait()


class BotProcess:
    """``python -m telegemini run`` against the fakes; SIGTERM to stop."""

    def __init__(
        self,
        fakes: Fakes,
        *,
        mode: str = "polling",
        database_url: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self._fakes = fakes
        self._mode = mode
        self._dir = tempfile.TemporaryDirectory(prefix="telegemini-bench-")
        self.database_url = database_url or f"sqlite+aiosqlite:///{Path(self._dir.name) / 'bot.db'}"
        self._extra = env or {}
        self.port = free_port()
        self.process: asyncio.subprocess.Process | None = None
        self._log = Path(self._dir.name) / "bot.log"
        self.report: dict[str, Any] | None = None

    def environment(self) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "GOOGLE_"))}
        env = {
            **keep,
            "TELEGRAM_BOT_TOKEN": self._fakes.telegram.token,
            "TELEGRAM_API_BASE_URL": self._fakes.telegram.url,
            "GOOGLE_API_KEY": "bench-key",
            "GEMINI_BASE_URL": self._fakes.gemini.url,
            "DATABASE_URL": self.database_url,
            "VOICE_ENABLED": "false",
            "GOOGLE_SEARCH_ENABLED": "false",
            "LOG_LEVEL": "INFO",
            "PORT": str(self.port),
        }
        if self._mode == "webhook":
            env["WEBHOOK_URL"] = f"http://127.0.0.1:{self.port}"
            env["TELEGRAM_SECRET_TOKEN"] = WEBHOOK_SECRET
        env.update(self._extra)
        return env

    async def start(self) -> None:
        """Start the bot; return once it has registered its webhook or begun long polling.

        Polling: ``deleteWebhook`` comes right before the first long poll, whose own record only
        appears when it returns (10 s later when idle); an update sent now is in that poll.
        The call is counted, so a second bot on the same fakes waits for its own.
        """
        ready = "setWebhook" if self._mode == "webhook" else "deleteWebhook"
        seen = len(self._fakes.telegram.calls_of(ready))
        log = self._log.open("wb")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "telegemini", "run",
            env=self.environment(), cwd=self._dir.name, stdout=log, stderr=log,
        )  # fmt: skip
        try:
            await self._fakes.telegram.wait_for_calls(ready, seen + 1, timeout=60)
        except AssertionError as exc:
            tail = self._log.read_text(errors="replace")[-2000:]
            await self.stop()
            raise RuntimeError(f"the bot did not start; the end of its log:\n{tail}") from exc

    async def __aenter__(self) -> BotProcess:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    async def stop(self) -> dict[str, Any]:
        """SIGTERM, wait, and what the bot said about itself (its longest loop stall).

        Kills the bot when it has not exited within 30 s. Stopping twice returns the first
        report, which is also kept in ``report``.
        """
        if self.report is not None:
            return self.report
        assert self.process is not None
        code = await terminate(self.process)
        text = self._log.read_text(errors="replace")
        stalls = [float(m) for m in _STALL.findall(text)]
        self._dir.cleanup()
        self.report = {"exit": code, "stall_ms": stalls[-1] if stalls else None, "log": text}
        return self.report


class TrivialBotProcess:
    """``python -m bench.trivial_bot`` against the fakes, polling or webhook: the bare bot.

    It exits by itself after ``count`` replies; stopping sends SIGTERM to one still running.
    ``report`` has no stall (the bare bot does not measure its loop), for the same code paths
    as ``BotProcess``.
    """

    def __init__(self, fakes: Fakes, *, count: int, mode: str = "polling") -> None:
        self._fakes = fakes
        self._count = count
        self._mode = mode
        self.port = free_port()
        self.process: asyncio.subprocess.Process | None = None
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.report: dict[str, Any] | None = None

    async def start(self) -> None:
        """Start it; return once it printed ``ready`` (polling: right before its first long
        poll; webhook: its server listens and ``setWebhook`` was answered)."""
        args = [self._fakes.telegram.url, self._fakes.telegram.token, self._fakes.gemini.url]
        args.append(str(self._count))
        if self._mode == "webhook":
            args += ["--webhook", str(self.port), "--secret", WEBHOOK_SECRET]
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.trivial_bot", *args,
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=self._errors,
        )  # fmt: skip
        assert self.process.stdout is not None
        try:
            line = await asyncio.wait_for(self.process.stdout.readline(), 30)
        except TimeoutError:
            line = b"(nothing within 30 s)"
        if line.strip() != b"ready":
            tail = (await self.stop())["log"][-2000:]
            raise RuntimeError(f"the trivial bot did not start ({line!r}); its stderr:\n{tail}")

    async def __aenter__(self) -> TrivialBotProcess:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def stop(self) -> dict[str, Any]:
        """SIGTERM unless it has exited, wait (kill after 30 s); its exit code and stderr."""
        if self.report is not None:
            return self.report
        assert self.process is not None
        code = await terminate(self.process)
        self._errors.seek(0)
        text = self._errors.read().decode(errors="replace")
        self._errors.close()
        self.report = {"exit": code, "stall_ms": None, "log": text}
        return self.report
