"""Video: memory while four clips are delivered at once. Four users each ask for a 15 s clip;
the fake Gemini films them on its own clock (20 s of its time in 1 s), the bot polls, decodes
each MP4's shape (PyAV, media pool) and uploads it with sendVideo. One process holds the bot and
both fakes, as the e2e tests do; resident memory (VmRSS) is sampled every 20 ms from the first
request to the fourth sendVideo, after one clip delivered first (what the first clip loads,
PyAV and the Gemini SDK, is not overhead per clip). The clips are small (320×180, ~8 KB): the
figure is the bot's own overhead per clip in flight, not the size of real Omni output (720p, a
few MB each).
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from pathlib import Path

from bench.results import Figure, at_most, info
from telegemini.app import Telegemini
from telegemini.sandbox.fake_gemini import FakeGeminiServer
from telegemini.sandbox.fake_telegram import FakeTelegramServer, FakeUser
from tests.e2e.conftest import make_settings

CLIPS = 4
MB = 1024 * 1024


def rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


async def four_at_once() -> tuple[int, int, float]:
    telegram, gemini = FakeTelegramServer(), FakeGeminiServer()
    await telegram.start()
    await gemini.start()
    gemini.video_seconds, gemini.video_speed = 20.0, 20.0
    with tempfile.TemporaryDirectory() as folder:
        settings = make_settings(
            telegram,
            gemini,
            f"sqlite+aiosqlite:///{folder}/bench.db",
            "polling",
            video_poll_interval=0.1,
            rates={"videos": {"per_minute": 600, "burst": 100}},
        )
        bot = await Telegemini.create(settings)
        await bot.start()
        try:
            # One clip first: what its first use loads (PyAV, the Gemini SDK, ~40 MB) is not
            # overhead per clip, and which earlier module of a run had loaded it varied.
            telegram.send_text(FakeUser(id=69_999, first_name="W"), "/video 15s a warm-up")
            await telegram.wait_for_calls("sendVideo", 1, timeout=60)
            users = [FakeUser(id=70_000 + n, first_name=f"U{n}") for n in range(CLIPS)]
            before = peak = rss()
            started = time.monotonic()
            for user in users:
                telegram.send_text(user, f"/video 15s a red lighthouse number {user.id}")

            async def sample() -> None:
                nonlocal peak
                while True:
                    peak = max(peak, rss())
                    await asyncio.sleep(0.02)

            sampler = asyncio.create_task(sample())
            await telegram.wait_for_calls("sendVideo", 1 + CLIPS, timeout=60)
            took = time.monotonic() - started
            sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampler
        finally:
            await bot.stop()
            await telegram.stop()
            await gemini.stop()
    return before, peak, took


async def main() -> list[Figure]:
    before, peak, took = await four_at_once()
    grew = (peak - before) / MB
    figures = [
        info("resident memory before", before / MB, "MB"),
        info("peak while 4 clips are delivered", peak / MB, "MB"),
        at_most("growth for 4 clips at once", grew, "MB", 40.0),
        info("time to deliver all 4 (20 s of fake time each)", took, "s"),
    ]
    for figure in figures:
        print(f"{figure.name}: {figure.value:.1f} {figure.unit}")
    return figures


if __name__ == "__main__":
    asyncio.run(main())
