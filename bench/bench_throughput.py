"""Throughput: text updates per second end to end (update in → reply sent) with a zero-latency
fake model, and the bot's CPU per update, on SQLite and on PostgreSQL (one process, polling).
The fakes run in the benchmark process on the same cores, so their own ceiling is measured
first, with a trivial bot that makes the same calls and nothing else.

A run: 2,000 distinct private chats each send one text at once; the rate is updates ÷ (last
``sendMessage`` − first update queued). CPU is the bot process's user + system time over the run,
divided by the updates.
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass

from bench.harness import BotProcess, Fakes
from bench.results import Figure, at_least, at_most, info
from bench.rig import (
    FAST,
    Tally,
    fresh_postgres,
    fresh_users,
    logged_errors,
    stall_figure,
    warm_up,
)

UPDATES = 2000
RATE_TARGET = 300.0  # text updates/s, SQLite, one process
CPU_TARGET = {"SQLite": 3.0, "PostgreSQL": 6.0}  # ms of bot CPU per text update


@dataclass
class Run:
    updates: int
    wall: float
    fakes_cpu: float  # seconds of the benchmark process (the fakes, mostly)
    bot_cpu: float | None = None
    lost: int = 0

    @property
    def rate(self) -> float:
        return self.updates / self.wall


async def drive(fakes: Fakes, tally: Tally, count: int) -> Run:
    """``count`` new chats send one text each, at once; wait for every reply."""
    before = tally.count("echo")
    users = fresh_users(count)
    cpu = time.process_time()
    started = time.monotonic()
    for user in users:
        fakes.telegram.send_text(user, "hello there, how are you today?")
    replied = await tally.settle("echo", before + count) - before
    last = max(c.at for c in tally.ok("echo")[before:])
    return Run(replied, last - started, time.process_time() - cpu, lost=count - replied)


async def fakes_ceiling(count: int = UPDATES) -> Run:
    """The same load answered by ``bench.trivial_bot`` in its own process."""
    fakes = Fakes()
    await fakes.start()
    tally = Tally(fakes.telegram)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.trivial_bot",
        fakes.telegram.url, fakes.telegram.token, fakes.gemini.url, str(count + 1),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        await asyncio.wait_for(process.stdout.readline(), 30)
        await warm_up(fakes.telegram, tally, fresh_users(1, "W")[0])
        return await drive(fakes, tally, count)
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()
        tally.close()
        await fakes.stop()


async def bot_run(database_url: str | None, count: int = UPDATES) -> tuple[Run, Figure, int]:
    fakes = Fakes()
    await fakes.start()
    tally = Tally(fakes.telegram)
    try:
        async with BotProcess(fakes, database_url=database_url, env=FAST) as bot:
            await warm_up(fakes.telegram, tally, fresh_users(1, "W")[0])
            cpu = bot.cpu_seconds()
            run = await drive(fakes, tally, count)
            run.bot_cpu = bot.cpu_seconds() - cpu
        store = "PostgreSQL" if database_url else "SQLite"
        errors = logged_errors((bot.report or {}).get("log", ""))
        return run, stall_figure(f"throughput, {store}", bot.report), errors
    finally:
        tally.close()
        await fakes.stop()


def bot_figures(
    store: str, run: Run, ceiling: Run, errors: int, *, rate_target: bool
) -> list[Figure]:
    assert run.bot_cpu is not None
    busy = run.bot_cpu / run.wall
    note = (
        f"{run.updates} updates in {run.wall:.2f} s; the bot used {busy:.0%} of one core, "
        f"the fakes {run.fakes_cpu / run.wall:.0%} ({ceiling.rate:.0f}/s is their ceiling)"
    )
    name = f"{store}: text updates/s, one process"
    rate = (
        at_least(name, run.rate, "/s", RATE_TARGET, note)
        if rate_target
        else info(name, run.rate, "/s", note)
    )
    sent = run.updates + run.lost
    cpu = at_most(
        f"{store}: bot CPU per text update", run.bot_cpu * 1000 / sent, "ms", CPU_TARGET[store]
    )
    lost = at_most(
        f"{store}: replies lost", run.lost, "", 0, f"of {sent}; {errors} errors in the bot's log"
    )
    return [rate, cpu, lost]


async def main() -> list[Figure]:
    ceiling = await fakes_ceiling()
    figures = [
        info(
            "fakes' ceiling: text updates/s with a trivial bot",
            ceiling.rate,
            "/s",
            f"fakes' CPU {ceiling.fakes_cpu * 1000 / ceiling.updates:.2f} ms per update "
            f"({ceiling.fakes_cpu / ceiling.wall:.0%} of one core)",
        )
    ]
    print(figures[0].line())
    for store in ("SQLite", "PostgreSQL"):
        if store == "SQLite":
            run, stall, errors = await bot_run(None)
        else:
            async with fresh_postgres() as url:
                run, stall, errors = await bot_run(url)
        measured = [
            *bot_figures(store, run, ceiling, errors, rate_target=store == "SQLite"),
            stall,
        ]
        for figure in measured:
            print(figure.line())
        figures += measured
    return figures
