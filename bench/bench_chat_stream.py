"""The streamed chat call: CPU per call through google-genai's ``interactions.create`` against
``gemini/stream.py`` (aiohttp, server-sent events read as dicts), the same body and the same
answer from the fake Gemini in its own process; A/B interleaved in one run.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from google import genai
from google.genai import types

from bench.results import Figure, info
from telegemini.gemini.client import make_client  # noqa: F401 - applies our SDK patches
from telegemini.gemini.stream import InteractionStreams

CALLS = 300
ROUNDS = 3
BODY = {
    "model": "gemini-3.5-flash-lite",
    "input": [
        {"type": "user_input", "content": [{"type": "text", "text": "hello there, how are you?"}]}
    ],
    "system_instruction": "You are a helpful assistant.",
    "store": True,
}


async def via_sdk(client: genai.Client) -> None:
    stream = await client.aio.interactions.create(**BODY, stream=True, timeout=30)
    async with stream:
        async for _event in stream:
            pass


async def via_ours(streams: InteractionStreams) -> None:
    async for _event in streams.events(BODY, seconds=30):
        pass


async def cpu_ms(call: Callable[[Any], Awaitable[None]], target: object, calls: int) -> float:
    started = time.process_time()
    for _ in range(calls):
        await call(target)
    return (time.process_time() - started) * 1000 / calls


async def main() -> list[Figure]:
    fake = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.gemini_process",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert fake.stdout is not None
    assert fake.stdin is not None
    url = (await asyncio.wait_for(fake.stdout.readline(), 30)).decode().split()[1]
    options = types.HttpOptions(base_url=url, retry_options=types.HttpRetryOptions(attempts=1))
    client = genai.Client(api_key="bench", http_options=options)
    streams = InteractionStreams(api_key="bench", base_url=url)
    try:
        await cpu_ms(via_sdk, client, 20)  # warm both up
        await cpu_ms(via_ours, streams, 20)
        sdk, ours = [], []
        for _ in range(ROUNDS):
            sdk.append(await cpu_ms(via_sdk, client, CALLS))
            ours.append(await cpu_ms(via_ours, streams, CALLS))
    finally:
        await client.aio.aclose()
        await streams.close()
        fake.stdin.close()
        await fake.wait()
    rounds = f"{ROUNDS} rounds of {CALLS} calls, interleaved"

    def each(values: list[float]) -> str:
        return ", ".join(f"{v:.2f}" for v in values)

    return [
        info(
            "chat stream via google-genai: CPU per call", min(sdk), "ms", f"{rounds}: {each(sdk)}"
        ),
        info(
            "chat stream via gemini/stream.py: CPU per call",
            min(ours),
            "ms",
            f"{rounds}: {each(ours)}",
        ),
    ]
