"""Webhook ingestion and instances: 2,000 updates (distinct private chats) POSTed straight to
the bot's ``/webhook`` from 64 connections at once by a separate process, with the secret
header. Ingestion: 200 answers per second (each 200 means the update is stored in the inbox).
End to end: updates ÷ (last ``sendMessage`` − first POST), zero-latency model, while the bot
processes what it ingests. On SQLite (one instance), then on a fresh PostgreSQL database with
Redis for one instance and for two (each getting every other POST directly; two ``telegemini
run`` processes sharing the machine's cores with the fakes and the poster).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp

from bench.harness import BotProcess, Fakes
from bench.results import Figure, info
from bench.rig import (
    FAST,
    REDIS_URL,
    Tally,
    fresh_postgres,
    fresh_users,
    logged_errors,
    private_update,
)

UPDATES, CONNECTIONS = 2000, 64
SECRET = "bench-secret"  # what BotProcess gives a webhook-mode bot
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class Outcome:
    setup: str
    accepted: int
    refused: int
    ingest_seconds: float
    e2e_seconds: float
    bot_cpu: float
    replied: int
    errors: int

    @property
    def ingest_rate(self) -> float:
        return self.accepted / self.ingest_seconds

    @property
    def e2e_rate(self) -> float:
        return self.replied / self.e2e_seconds


class Poster:
    """``bench.poster`` in its own process, loaded and waiting for the word."""

    def __init__(self, targets: list[str], updates: list[dict[str, object]]) -> None:
        self._config = {
            "targets": targets,
            "secret": SECRET,
            "updates": updates,
            "concurrency": CONNECTIONS,
        }
        self._process: asyncio.subprocess.Process | None = None

    async def prepare(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.poster",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._process.stdin.write(json.dumps(self._config).encode() + b"\n")
        await self._process.stdin.drain()
        await asyncio.wait_for(self._process.stdout.readline(), 60)

    async def fire(self) -> tuple[float, list[tuple[float, int]]]:
        """POST everything; when it started, and (done at, status) per update."""
        assert self._process is not None
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._process.stdin.write(b"go\n")
        await self._process.stdin.drain()
        out = json.loads(await asyncio.wait_for(self._process.stdout.read(), 300))
        await self._process.wait()
        return out["started"], [(float(at), int(status)) for at, status in out["results"]]

    async def close(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.kill()
            await self._process.wait()


@contextlib.asynccontextmanager
async def bots(fakes: Fakes, count: int, env: dict[str, str]) -> AsyncIterator[list[BotProcess]]:
    started: list[BotProcess] = []
    try:
        for _ in range(count):
            bot = BotProcess(fakes, mode="webhook", database_url=env.get("DATABASE_URL"), env=env)
            await bot.start()  # one after the other: both run the migrations otherwise
            started.append(bot)
        yield started
    finally:
        for bot in started:
            await bot.stop()


async def warm_up(fakes: Fakes, tally: Tally, targets: list[str]) -> None:
    """One message through each instance, straight to its webhook."""
    users = fresh_users(len(targets), "W")
    before = tally.count("echo")
    headers = {SECRET_HEADER: SECRET}
    async with aiohttp.ClientSession() as session:
        for n, (user, url) in enumerate(zip(users, targets, strict=True)):
            fakes.telegram.add_chat(user)
            update = private_update(user, "warm up", 900_000_000 + n)
            async with session.post(url, json=update, headers=headers) as response:
                response.raise_for_status()
    await tally.wait("echo", before + len(targets), timeout=60)


async def ingest(setup: str, instances: int, env: dict[str, str]) -> Outcome:
    fakes = Fakes()
    await fakes.start()
    tally = Tally(fakes.telegram)
    try:
        async with bots(fakes, instances, {**FAST, **env}) as running:
            targets = [f"http://127.0.0.1:{bot.port}/webhook" for bot in running]
            await warm_up(fakes, tally, targets)
            users = fresh_users(UPDATES)
            for user in users:
                fakes.telegram.add_chat(user)
            updates = [private_update(u, "hello there", 1_000_000 + n) for n, u in enumerate(users)]
            poster = Poster(targets, updates)
            try:
                await poster.prepare()
                before = tally.count("echo")
                cpu = sum(bot.cpu_seconds() for bot in running)
                started, results = await poster.fire()
                replied = await tally.settle("echo", before + UPDATES) - before
                cpu = sum(bot.cpu_seconds() for bot in running) - cpu
            finally:
                await poster.close()
        errors = sum(logged_errors((bot.report or {}).get("log", "")) for bot in running)
        accepted = [at for at, status in results if status == 200]
        last_reply = max(c.at for c in tally.ok("echo")[before:])
        return Outcome(
            setup,
            accepted=len(accepted),
            refused=len(results) - len(accepted),
            ingest_seconds=max(accepted) - started,
            e2e_seconds=last_reply - started,
            bot_cpu=cpu,
            replied=replied,
            errors=errors,
        )
    finally:
        tally.close()
        await fakes.stop()


def figures(outcome: Outcome) -> list[Figure]:
    cores = os.cpu_count()
    return [
        info(
            f"{outcome.setup}: webhook ingestion, 200s/s",
            outcome.ingest_rate,
            "/s",
            f"{outcome.accepted} accepted in {outcome.ingest_seconds:.2f} s from {CONNECTIONS} "
            f"connections, {outcome.refused} refused; {cores} cores",
        ),
        info(
            f"{outcome.setup}: end to end, text updates/s",
            outcome.e2e_rate,
            "/s",
            f"{outcome.replied} in {outcome.e2e_seconds:.2f} s; bot CPU "
            f"{outcome.bot_cpu * 1000 / UPDATES:.1f} ms/update; {cores} cores"
            + (f"; {UPDATES - outcome.replied} replies LOST" if outcome.replied < UPDATES else "")
            + (f"; the bot logged {outcome.errors} errors" if outcome.errors else ""),
        ),
    ]


async def main() -> list[Figure]:
    results: list[Figure] = []
    runs: list[tuple[str, int, bool]] = [
        ("SQLite, 1 instance", 1, False),
        ("PostgreSQL + Redis, 1 instance", 1, True),
        ("PostgreSQL + Redis, 2 instances", 2, True),
    ]
    for setup, instances, shared in runs:
        if shared:
            async with fresh_postgres() as url:
                env = {"DATABASE_URL": url, "REDIS_URL": REDIS_URL}
                outcome = await ingest(setup, instances, env)
        else:
            outcome = await ingest(setup, instances, {})
        for figure in figures(outcome):
            print(figure.line())
            results.append(figure)
    one, two = (f.value for f in results[3::2])
    if one and two:
        results.append(
            info("two instances ÷ one, end to end", two / one, "×", "PostgreSQL + Redis")
        )
        print(results[-1].line())
    return results
