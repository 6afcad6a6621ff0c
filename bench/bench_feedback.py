"""Time to first feedback: from an update reaching the bot to the first "typing…" or draft in
its chat, with 50 chats writing at once (3 rounds, model latency 1 s), in polling and in webhook
mode; and how soon the first streamed draft follows the model's first chunk.

"Reaching the bot": polling, when the fake wrote the ``getUpdates`` answer carrying the update;
webhook, when the fake began POSTing it (it delivers one update at a time, so that is when the
previous POST ended, or when the update was queued if later). Feedback times are when the
``sendChatAction``/``sendMessageDraft`` request reached the fake. Streaming: the fake Gemini
answers in 12 chunks 50 ms apart after 0.5 s; the first chunk is sent 50 ms after the answer is
composed, and the draft is timed from there (the bot waits 150 ms after the first piece by
design, so an answer that completes quickly needs no draft).
"""

from __future__ import annotations

import time

from bench.harness import BotProcess, Fakes
from bench.results import Figure, at_most, info, percentile
from bench.rig import FAST, AnswerClock, Tally, fresh_users, token, warm_up

CHATS, ROUNDS, LATENCY = 50, 3, 1.0
FEEDBACK_TARGET_MS = 50.0
STREAM_CHATS, STREAM_LATENCY, CHUNK_DELAY, CHUNKS = 20, 0.5, 0.05, 12
DRAFT_TARGET_MS = 250.0


async def first_feedback(mode: str) -> list[float]:
    """Seconds from arrival to first feedback, one per message."""
    fakes = Fakes()
    await fakes.start()
    tally = Tally(fakes.telegram)
    delays: list[float] = []
    try:
        async with BotProcess(fakes, mode=mode, env=FAST):
            await warm_up(fakes.telegram, tally, fresh_users(1, "W")[0])
            fakes.gemini.latency = LATENCY
            for _ in range(ROUNDS):
                before = tally.count("echo")
                queued: dict[int, tuple[int, float]] = {}  # update id -> chat, queued at
                for user in fresh_users(CHATS):
                    at = time.monotonic()
                    update = fakes.telegram.send_text(user, "what is the weather like?")
                    queued[int(update["update_id"])] = (user.id, at)
                await tally.settle("echo", before + CHATS)
                arrivals = (
                    {uid: tally.handed[uid] for uid in queued}
                    if mode == "polling"
                    else webhook_arrivals(fakes, queued)
                )
                first = tally.first_by_chat("sendChatAction", "sendMessageDraft")
                delays += [
                    first[queued[uid][0]] - at
                    for uid, at in arrivals.items()
                    if queued[uid][0] in first
                ]
        return delays
    finally:
        tally.close()
        await fakes.stop()


def webhook_arrivals(fakes: Fakes, queued: dict[int, tuple[int, float]]) -> dict[int, float]:
    """When the fake began the successful POST of each update (see the module docstring)."""
    arrivals: dict[int, float] = {}
    previous_end = 0.0
    for attempt in sorted(fakes.telegram.webhook_attempts, key=lambda a: a.at):
        entry = queued.get(attempt.update_id)
        if entry is not None and attempt.status == 200:
            arrivals[attempt.update_id] = max(entry[1], previous_end)
        previous_end = attempt.at
    return arrivals


def chunked(text: str) -> list[str]:
    words = (text + " " + "and then some more words of a longer answer" * 4).split(" ")
    size = -(-len(words) // CHUNKS)
    return [" ".join(words[i : i + size]) + " " for i in range(0, len(words), size)]


async def first_drafts() -> list[float]:
    """Seconds from the model's first chunk to the first draft, one per chat."""
    fakes = Fakes()
    fakes.gemini.chunk_delay = CHUNK_DELAY
    await fakes.start()
    tally = Tally(fakes.telegram)
    clock = AnswerClock(fakes.gemini, chunks=chunked)
    try:
        async with BotProcess(fakes, env=FAST):
            await warm_up(fakes.telegram, tally, fresh_users(1, "W")[0])
            fakes.gemini.latency = STREAM_LATENCY
            before = tally.count("echo")
            users = fresh_users(STREAM_CHATS)
            for user in users:
                fakes.telegram.send_text(user, f"tell me a story {token(user.id, 0)}")
            await tally.settle("echo", before + STREAM_CHATS)
        drafts = tally.first_by_chat("sendMessageDraft")
        return [
            drafts[u.id] - (clock.at[u.id, 0] + CHUNK_DELAY)
            for u in users
            if u.id in drafts and (u.id, 0) in clock.at
        ]
    finally:
        tally.close()
        await fakes.stop()


async def main() -> list[Figure]:
    figures: list[Figure] = []
    for mode in ("polling", "webhook"):
        ms = [d * 1000 for d in await first_feedback(mode)]
        figures += [
            at_most(
                f"{mode}: first feedback p99, {CHATS} chats at once",
                percentile(ms, 99),
                "ms",
                FEEDBACK_TARGET_MS,
                f"p50 {percentile(ms, 50):.1f} ms, max {max(ms):.1f} ms over {len(ms)} messages",
            )
        ]
        print(figures[-1].line())
    ms = [d * 1000 for d in await first_drafts()]
    drafted = len(figures)
    figures.append(
        at_most(
            "first streamed draft after the model's first chunk, p99",
            percentile(ms, 99),
            "ms",
            DRAFT_TARGET_MS,
            f"p50 {percentile(ms, 50):.0f} ms over {len(ms)} of {STREAM_CHATS} chats; chunks "
            f"every {CHUNK_DELAY * 1000:.0f} ms",
        )
    )
    if len(ms) < STREAM_CHATS:
        figures.append(info("chats that got no draft at all", STREAM_CHATS - len(ms)))
    for figure in figures[drafted:]:
        print(figure.line())
    return figures
