"""Bot API client cost: the CPU one Bot API call costs the bot (aiogram's method model, form
encoding, aiohttp, the answer's JSON and pydantic objects, our pacing middleware), with 1 and
with 64 requests in flight, and the calls per second and latency that come with it.

The fake Telegram runs in a child process (``bench.telegram_process``), so this process's CPU
time (``time.process_time``) is the client's alone; the fake's own cost (noted, from its own
process) shows only in wall time and latency, as both share this machine's cores. The bot is
``make_bot(settings)`` with ``TelegramRateLimiter`` registered on its session as ``wiring``
does, but with an overall limit that never waits and a different chat for every reply (8,192
chats in turn), so no per-chat window waits either: what is measured is the client stack, not
Telegram's limits. The workload is what a reply costs: ``sendChatAction`` ("typing") then
``sendMessage`` (a short text with one bold entity and a two-button inline keyboard) to the
same chat, each counted as a call, from 1 or 64 workers that each keep one request in flight;
and each of the two calls alone at 64 in flight. After a warm-up, three rounds of each (3,000
calls of replies, 1,500 of a call alone) are taken in turn, and the figures are their medians
(a busy neighbour on this machine moves one round by 15 % or more). The fake forgets what it
recorded between rounds.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiogram import Bot
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity

from bench.results import Figure, at_most, info, percentile
from bench.telegram_process import FIRST_CHAT
from telegemini.settings import Settings
from telegemini.tg.bot import make_bot
from telegemini.tg.ratelimit import TelegramRateLimiter

CALLS = 3000  # calls per round of replies (half sendChatAction, half sendMessage)
ROUNDS = 3  # rounds of each workload, taken in turn; the figures are their medians
WARM_UP = 400  # calls per level before measuring: connections, imports, caches
CHATS = 8192  # chats taken in turn: one reply per chat every 8,192 replies
IN_FLIGHT = (1, 64)
REPLY = ("typing", "reply")  # sendChatAction, then sendMessage, to the same chat
CPU_TARGET_MS = 0.7  # per call at 64 in flight
NO_LIMIT = 1e9  # messages/s overall: the pacer's interval (1.1 ns) never makes a call wait

TEXT = "Paris is the capital of France. It has been since 987, with a few short interruptions."
ENTITIES = [MessageEntity(type="bold", offset=0, length=5)]
KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[
        [
            InlineKeyboardButton(text="🔁 Again", callback_data="img:again:12345"),
            InlineKeyboardButton(text="🔊 Listen", callback_data="tts:12345"),
        ]
    ]
)


class FakeTelegram:
    """The fake Telegram of ``bench.telegram_process``: its address and its commands."""

    def __init__(self, process: asyncio.subprocess.Process, url: str, token: str) -> None:
        self._process = process
        self.url = url
        self.token = token

    async def command(self, text: str) -> list[str]:
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._process.stdin.write(f"{text}\n".encode())
        await self._process.stdin.drain()
        return (await asyncio.wait_for(self._process.stdout.readline(), 60)).decode().split()

    async def cpu(self) -> float:
        """The fake's process CPU time so far, in seconds."""
        return float((await self.command("cpu"))[1])

    async def reset(self) -> tuple[int, int]:
        """Forget the recorded calls; how many there were, and how many had failed."""
        _, calls, failed = await self.command("reset")
        return int(calls), int(failed)


@asynccontextmanager
async def telegram_process(chats: int = CHATS) -> AsyncIterator[FakeTelegram]:
    """The fake Telegram in a child process, with ``chats`` private chats known."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.telegram_process", "--chats", str(chats),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stdin is not None
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode().split()
        if not line or line[0] != "ready":
            raise RuntimeError(f"the fake Telegram did not start: {line}")
        yield FakeTelegram(process, line[1], line[2])
    finally:
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()


def paced_bot(fake: FakeTelegram) -> Bot:
    """The bot's own ``Bot`` and pacing middleware (as ``wiring`` builds them), unthrottled."""
    settings = Settings(
        _env_file=None,
        telegram_bot_token=fake.token,
        telegram_api_base_url=fake.url,
        google_api_key="bench-key",
        telegram_global_rate=NO_LIMIT,
    )
    bot = make_bot(settings)
    # As wiring.py registers it; its flood hook only runs on a 429, which the fake never sends.
    bot.session.middleware(TelegramRateLimiter(overall_per_second=settings.telegram_global_rate))
    return bot


@dataclass
class Round:
    in_flight: int
    calls: int
    cpu: float  # seconds of this process
    wall: float
    fake_cpu: float  # seconds of the fake's process
    latencies: list[float] = field(default_factory=list)  # seconds, one per call
    steps: str = "typing+reply"

    @property
    def cpu_ms(self) -> float:
        return self.cpu * 1000 / self.calls

    @property
    def rate(self) -> float:
        return self.calls / self.wall

    def latency_ms(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000

    def line(self) -> str:
        return (
            f"  {self.steps}, {self.in_flight:>2} in flight: {self.calls} calls in "
            f"{self.wall:.2f} s ({self.rate:.0f}/s), CPU {self.cpu_ms:.3f} ms per call "
            f"({self.cpu / self.wall:.0%} of a core), latency p50 {self.latency_ms(50):.2f} ms "
            f"p99 {self.latency_ms(99):.2f} ms; the fake {self.fake_cpu * 1000 / self.calls:.3f} "
            f"ms per call ({self.fake_cpu / self.wall:.0%} of a core)"
        )


class Chats:
    """Chat ids in turn, so a chat's pacing window never fills."""

    def __init__(self, count: int = CHATS, first: int = FIRST_CHAT) -> None:
        self._first = first
        self._count = count
        self._next = 0

    def take(self) -> int:
        chat = self._first + self._next % self._count
        self._next += 1
        return chat


async def run_round(
    bot: Bot,
    fake: FakeTelegram,
    chats: Chats,
    *,
    in_flight: int,
    calls: int,
    steps: tuple[str, ...] = REPLY,
) -> Round:
    """``calls`` calls from ``in_flight`` workers, each doing ``steps`` (by default typing, then
    the reply) to one chat after another; the fake's record is emptied first and checked after."""
    await fake.reset()
    units = calls // len(steps)
    left = units
    latencies: list[float] = []
    clock = time.perf_counter
    typing, reply = "typing" in steps, "reply" in steps

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            chat = chats.take()
            if typing:
                started = clock()
                await bot.send_chat_action(chat_id=chat, action="typing")
                latencies.append(clock() - started)
            if reply:
                started = clock()
                await bot.send_message(
                    chat_id=chat, text=TEXT, entities=ENTITIES, reply_markup=KEYBOARD
                )
                latencies.append(clock() - started)

    gc.collect()
    fake_cpu = await fake.cpu()
    cpu, started = time.process_time(), clock()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    cpu, wall = time.process_time() - cpu, clock() - started
    fake_cpu = await fake.cpu() - fake_cpu
    made = units * len(steps)
    recorded, failed = await fake.reset()
    if recorded != made or failed:
        raise RuntimeError(f"the fake recorded {recorded} calls ({failed} failed), not {made}")
    return Round(in_flight, made, cpu, wall, fake_cpu, latencies, "+".join(steps))


async def measure(
    calls: int = CALLS, warm_up: int = WARM_UP, rounds: int = ROUNDS
) -> dict[tuple[str, int], list[Round]]:
    """Rounds of each workload of ``workloads()``, taken in turn ``rounds`` times after a
    warm-up at each level of ``IN_FLIGHT``; by (steps, in flight)."""
    measured: dict[tuple[str, int], list[Round]] = {}
    async with telegram_process() as fake:
        bot = paced_bot(fake)
        chats = Chats()
        try:
            for in_flight in IN_FLIGHT:
                await run_round(bot, fake, chats, in_flight=in_flight, calls=warm_up)
            for _ in range(rounds):
                for steps, in_flight, share in workloads():
                    run = await run_round(
                        bot, fake, chats, in_flight=in_flight, calls=calls // share, steps=steps
                    )
                    print(run.line(), flush=True)
                    measured.setdefault((run.steps, in_flight), []).append(run)
        finally:
            await bot.session.close()
    return measured


def workloads() -> list[tuple[tuple[str, ...], int, int]]:
    """(steps, in flight, 1/share of the calls): replies at each level, then each call alone
    at the highest level with half the calls."""
    top = IN_FLIGHT[-1]
    return [(REPLY, n, 1) for n in IN_FLIGHT] + [((step,), top, 2) for step in REPLY]


def figures(measured: dict[tuple[str, int], list[Round]]) -> list[Figure]:
    out = []
    for (steps, n), runs in measured.items():
        cpu = [run.cpu_ms for run in runs]
        cpu_ms = statistics.median(cpu)
        busy = statistics.median(run.cpu / run.wall for run in runs)
        fake = sum(run.fake_cpu for run in runs) * 1000 / sum(run.calls for run in runs)
        note = (
            f"median of {len(runs)} rounds of {runs[0].calls:,} calls "
            f"({min(cpu):.2f}–{max(cpu):.2f}), {busy:.0%} of a core; the fake used "
            f"{fake:.2f} ms per call in its own process"
        )
        if steps != "+".join(REPLY):
            method = "sendChatAction" if steps == "typing" else "sendMessage"
            out.append(info(f"CPU per {method} alone, {n} in flight", cpu_ms, "ms", note))
            continue
        name = f"CPU per Bot API call, {n} in flight"
        if n == IN_FLIGHT[-1]:
            out.append(at_most(name, cpu_ms, "ms", CPU_TARGET_MS, note))
        else:
            out.append(info(name, cpu_ms, "ms", note))
        rate = statistics.median(run.rate for run in runs)
        latencies = [latency for run in runs for latency in run.latencies]
        out += [
            info(f"Bot API calls/s, {n} in flight", rate, "/s", "wall time, the fake included"),
            info(
                f"Bot API call latency, {n} in flight: p50", percentile(latencies, 50) * 1000, "ms"
            ),
            info(
                f"Bot API call latency, {n} in flight: p99", percentile(latencies, 99) * 1000, "ms"
            ),
        ]
    return out


async def main(calls: int = CALLS, warm_up: int = WARM_UP, rounds: int = ROUNDS) -> list[Figure]:
    return figures(await measure(calls, warm_up, rounds))
