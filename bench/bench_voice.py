"""Voice path: OGG/Opus encoding speed, and event-loop lag while encoding off the loop."""

from __future__ import annotations

import asyncio
import time

from telegemini.media.audio import Pcm, encode_voice, speech_to_voice
from tests.helpers.audio import sine_pcm


def encoding_speed(seconds: float = 30.0, rounds: int = 5) -> float:
    pcm = Pcm(sine_pcm(seconds), 24_000)
    cpu = time.process_time()
    for _ in range(rounds):
        encode_voice(pcm)
    used = time.process_time() - cpu
    return seconds * rounds / used


async def loop_lag_while_encoding(seconds: float = 30.0, rounds: int = 5) -> float:
    """Longest stall of a 1 ms ticker while voice notes are encoded in a worker thread."""
    pcm = sine_pcm(seconds)
    worst = 0.0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal worst
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            worst = max(worst, time.perf_counter() - before - 0.001)

    task = asyncio.create_task(ticker())
    for _ in range(rounds):
        await asyncio.to_thread(speech_to_voice, pcm, mime_type="audio/L16;rate=24000")
    done.set()
    await task
    return worst


async def main() -> None:
    speed = encoding_speed()
    print(f"opus encoding: {speed:,.0f}x real time (CPU), target >= 300x")
    lag = await loop_lag_while_encoding()
    print(f"longest event-loop stall while encoding 5 x 30 s off the loop: {lag * 1000:.1f} ms")
