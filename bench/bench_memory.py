"""Memory: the bot's resident memory idle (after start-up and one message), after 10,000
distinct chats have each sent a message, and after 10,000 more (flat: per-chat state such as
locks, rate buckets and caches must be evicted, not kept without bound).

Chats are sent in batches of 100 (each batch's replies awaited) with the overall send limit
raised, on SQLite, to a zero-latency fake model. RSS is read from ``/proc/<pid>/status`` a
second after each phase. A batch that gets no reply at all ends the run: the bot has stopped
answering, which is reported (it did, after ~1,900 chats, until cancelled Bot API requests
stopped leaking connection-pool slots: ``telegemini.tg.transport``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bench.harness import BotProcess, Fakes
from bench.results import Figure, at_most
from bench.rig import FAST, Tally, fresh_users, logged_errors, warm_up

CHATS, BATCH, LATENCY = 10_000, 100, 0.0
IDLE_TARGET_MB, GROWTH_TARGET_MB, FLAT_TARGET_MB = 150.0, 30.0, 5.0


@dataclass
class Phase:
    """``CHATS`` new chats, one message each: RSS after each batch and at the end."""

    samples: list[float] = field(default_factory=list)
    sent: int = 0
    lost: int = 0
    stuck: bool = False  # a whole batch went unanswered
    rss: float = 0.0


async def many_chats(fakes: Fakes, tally: Tally, bot: BotProcess) -> Phase:
    phase = Phase()
    users = fresh_users(CHATS)
    for start in range(0, CHATS, BATCH):
        batch = users[start : start + BATCH]
        before = tally.count("echo")
        for user in batch:
            fakes.telegram.send_text(user, "hello, remember me?")
        replied = await tally.settle("echo", before + len(batch)) - before
        phase.sent += len(batch)
        phase.lost += len(batch) - replied
        phase.samples.append(bot.rss_mb())
        if replied < len(batch):
            print(f"  {len(batch) - replied} replies lost in a batch of {len(batch)}")
        if replied == 0:
            phase.stuck = True
            break
    await asyncio.sleep(1)
    phase.rss = bot.rss_mb()
    print(f"  {phase.sent:,} chats: {phase.rss:.1f} MB (per batch: {_mb(phase.samples)})")
    return phase


async def main() -> list[Figure]:
    fakes = Fakes()
    await fakes.start()
    tally = Tally(fakes.telegram)
    try:
        async with BotProcess(fakes, env=FAST) as bot:
            await warm_up(fakes.telegram, tally, fresh_users(1, "W")[0])
            fakes.gemini.latency = LATENCY
            await asyncio.sleep(1)
            idle = bot.rss_mb()
            print(f"idle: {idle:.1f} MB")
            phases = [await many_chats(fakes, tally, bot)]
            if not phases[0].stuck:
                phases.append(await many_chats(fakes, tally, bot))
    finally:
        tally.close()
        await fakes.stop()
    first = phases[0]
    figures = [
        at_most("resident memory idle", idle, "MB", IDLE_TARGET_MB, "after start-up + 1 message"),
        at_most(
            f"growth after {first.sent:,} distinct chats",
            first.rss - idle,
            "MB",
            GROWTH_TARGET_MB,
            f"{first.rss:.0f} MB",
        ),
    ]
    if len(phases) == 2:
        second = phases[1]
        figures.append(
            at_most(
                f"growth over the next {second.sent:,} chats (flat)",
                second.rss - first.rss,
                "MB",
                FLAT_TARGET_MB,
                f"{second.rss:.0f} MB; peak {max(first.samples + second.samples):.0f} MB",
            )
        )
    lost = sum(p.lost for p in phases)
    errors = logged_errors((bot.report or {}).get("log", ""))
    if lost or errors:
        stuck = any(p.stuck for p in phases)
        note = f"the bot logged {errors} errors" + (
            "; it stopped answering altogether, the run was cut short" if stuck else ""
        )
        figures.append(at_most("replies lost", lost, "", 0, note))
    return figures


def _mb(samples: list[float]) -> str:
    return " ".join(f"{s:.0f}" for s in samples)
