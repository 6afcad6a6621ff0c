"""A webhook load generator in its own process, so it does not share the fakes' event loop.

``python -m bench.poster`` reads one JSON line from stdin (``targets``: webhook URLs, taken in
turn; ``secret``; ``updates``: the bodies; ``concurrency``: connections at once), prints
``ready``, waits for a second line, POSTs every update, and prints one JSON line: ``started``
and, per update, ``[done_at, status]`` (``time.monotonic()``, which is the same clock in every
process on the machine; status 0 for a connection error).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import aiohttp

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def post_all(config: dict[str, Any]) -> dict[str, Any]:
    targets: list[str] = config["targets"]
    bodies = [json.dumps(u).encode() for u in config["updates"]]
    headers = {"Content-Type": "application/json", SECRET_HEADER: config["secret"]}
    results: list[list[float]] = [[0.0, 0] for _ in bodies]
    jobs = iter(range(len(bodies)))
    connector = aiohttp.TCPConnector(limit=config["concurrency"])
    timeout = aiohttp.ClientTimeout(total=120)

    async def worker(session: aiohttp.ClientSession) -> None:
        for index in jobs:
            url = targets[index % len(targets)]
            try:
                async with session.post(url, data=bodies[index], headers=headers) as response:
                    await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError):
                status = 0
            results[index] = [time.monotonic(), status]

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.monotonic()
        await asyncio.gather(*(worker(session) for _ in range(config["concurrency"])))
    return {"started": started, "results": results}


def main() -> None:
    config = json.loads(sys.stdin.readline())
    print("ready", flush=True)
    sys.stdin.readline()
    print(json.dumps(asyncio.run(post_all(config))), flush=True)


if __name__ == "__main__":
    main()
