"""The SDK loads on first use, and its import does not stall the event loop (every chat)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import asyncio, sys, time
from telegemini.gemini.sdk import LazyClient, ready
from telegemini.settings import Settings

async def main():
    lazy = LazyClient(Settings(_env_file=None, google_api_key="k"))
    assert "google.genai" not in sys.modules and not lazy.loaded
    worst, done = 0.0, False
    async def ticker():
        nonlocal worst
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            worst, last = max(worst, now - last - 0.005), now
    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    client = await ready(lazy)
    client.aio  # made now, on the loop's thread
    took = time.perf_counter() - started
    done = True
    await task
    assert lazy.loaded and "google.genai" in sys.modules
    print(f"{took:.3f} {worst:.3f}")

asyncio.run(main())
"""


def test_the_first_use_imports_the_sdk_beside_the_loop_not_on_it():
    child = subprocess.run(  # noqa: S603 (our own interpreter, our own code)
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=False
    )
    assert child.returncode == 0, child.stderr[-2000:]
    took, worst = (float(x) for x in child.stdout.split())
    # On the loop's thread the import (about a second here) would be one stall of its length.
    assert worst < took / 3, f"loop stalled {worst:.3f} s of a {took:.3f} s first use"
