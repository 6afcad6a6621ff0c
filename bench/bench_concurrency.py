"""Concurrency: N = 200 chats each send M = 3 messages at once to a model that takes L = 1 s,
overall send limit raised, in polling and in webhook mode. Issue #16's target: the bot's wall
time within 0.30 s of a bare bot's (``bench/trivial_bot.py``: raw aiohttp, the same Bot API and
Gemini calls, each chat's messages in order, nothing else) on the same fakes in the same run,
median of three rounds run bare, bot, bare, bot, ... A last run at the default overall limit
(30 messages/s, with the fake enforcing Telegram's flood limits) shows the limiter shaping the
same load.

One chat is sequential, so the ideal wall time is M × L; wall / ideal is kept as information.
Latency the bot adds, per message: reply − start − L, where start is when the message could
begin at the earliest (its arrival at the fake, or the chat's previous reply if later: one chat's
messages run in order) and reply is when its ``sendMessage`` reached the fake. It splits into
"before the model" (start → the fake Gemini began the L-second wait) and "after the model" (the
answer composed → ``sendMessage``).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field, replace
from typing import Any

from bench.harness import BotProcess, Fakes, TrivialBotProcess
from bench.results import Figure, at_most, info, percentile
from bench.rig import (
    FAST,
    AnswerClock,
    Tally,
    fresh_users,
    parse_token,
    stall_figure,
    token,
    warm_up,
)
from telegemini.sandbox.fake_telegram.limits import FLOOD_METHODS

CHATS, MESSAGES, LATENCY = 200, 3, 1.0
DEFAULT_LIMIT = 30.0
ROUNDS = 3  # of the bare bot and the bot, interleaved, per mode
BARE_MARGIN = 0.30  # s: the bot's wall time at most this much over the bare bot's (issue #16)
RATIO_TARGET = 1.10  # the default limit's wall / (messages ÷ limit)


@dataclass
class Outcome:
    started: float
    injected: dict[tuple[int, int], float]
    replies: dict[tuple[int, int], float]
    answers: dict[tuple[int, int], float]
    sends: list[float] = field(default_factory=list)  # every message-type call's time
    too_many: int = 0  # 429s the fake answered
    refused: list[tuple[float, int | None]] = field(default_factory=list)  # (when, chat) of each
    chat_sends: dict[int, list[float]] = field(default_factory=dict)
    duplicates: int = 0
    report: dict[str, Any] | None = None
    delivered: float | None = None  # webhook: when the fake's last POST of the load ended

    @property
    def wall(self) -> float:
        return max(self.replies.values()) - self.started

    @property
    def lost(self) -> int:
        return CHATS * MESSAGES - len(self.replies)

    def overheads(self) -> tuple[list[float], list[float], list[float]]:
        """Per message: added latency, its part before the model, its part after."""
        total, before, after = [], [], []
        for (chat, n), reply in self.replies.items():
            start = max(self.injected[chat, n], self.replies.get((chat, n - 1), 0.0))
            total.append(reply - start - LATENCY)
            answer = self.answers.get((chat, n))
            if answer is not None:
                before.append(answer - LATENCY - start)
                after.append(reply - answer)
        return total, before, after


async def burst(
    mode: str, env: dict[str, str], *, flood_control: bool, bare: bool = False
) -> Outcome:
    """N chats × M messages at once against a fresh bot (the bare bot when ``bare``) on fresh
    fakes; what came back, and when."""
    fakes = Fakes()
    fakes.telegram.flood_control = flood_control
    await fakes.start()
    tally = Tally(fakes.telegram)
    clock = AnswerClock(fakes.gemini)
    bot: BotProcess | TrivialBotProcess
    if bare:  # it stops by itself after the warm-up's reply and the burst's
        bot = TrivialBotProcess(fakes, mode=mode, count=1 + CHATS * MESSAGES)
    else:
        bot = BotProcess(fakes, mode=mode, env=env)
    try:
        async with bot:
            await warm_up(fakes.telegram, tally, fresh_users(1, "W")[0])
            fakes.gemini.latency = LATENCY
            before = tally.count("echo")
            injected: dict[tuple[int, int], float] = {}
            started = time.monotonic()
            for user in fresh_users(CHATS):
                for n in range(MESSAGES):
                    injected[user.id, n] = time.monotonic()
                    fakes.telegram.send_text(user, f"question {token(user.id, n)}")
            expected = CHATS * MESSAGES
            await tally.settle("echo", before + expected)  # the figures show any loss
        outcome = Outcome(started, injected, {}, clock.at, report=bot.report)
        posts = [a.at for a in fakes.telegram.webhook_attempts if a.at >= started]
        outcome.delivered = max(posts) if posts else None
        for call in tally.ok("echo"):
            found = parse_token(str(call.params.get("text", "")))
            if found in injected:
                outcome.duplicates += found in outcome.replies
                outcome.replies.setdefault(found, call.at)
        outcome.sends = sorted(
            c.at for m in FLOOD_METHODS for c in tally.calls[m] if c.ok and c.at >= started
        )
        refused = [c for calls in tally.calls.values() for c in calls if c.status == 429]
        outcome.too_many = len(refused)
        outcome.refused = [(c.at, c.chat_id) for c in refused]
        for method in FLOOD_METHODS:
            for c in tally.calls[method]:
                if c.ok and c.chat_id is not None:
                    outcome.chat_sends.setdefault(c.chat_id, []).append(c.at)
        return outcome
    finally:
        tally.close()
        await fakes.stop()


def warnings_of(report: dict[str, Any] | None) -> list[str]:
    """The bot's WARNING and ERROR lines, but for two notices of every run: the fake has no rich
    messages (the figures read answers' text), and the webhook's URL is plain http."""
    log = (report or {}).get("log", "")
    return [
        line
        for line in log.splitlines()
        if (" WARNING " in line or " ERROR " in line) and not any(n in line for n in _EVERY_RUN)
    ]


_EVERY_RUN = ("has no rich messages", "WEBHOOK_URL is not https")


def median_wall(outcomes: list[Outcome]) -> float:
    return statistics.median(o.wall for o in outcomes)


def comparison_figures(mode: str, bare: list[Outcome], bot: list[Outcome]) -> list[Figure]:
    """The bare bot's and the bot's wall times (median of the rounds), the bot's excess over the
    bare bot (median of the rounds' differences, each round's pair measured back to back), and
    the bot's added latency over all its rounds."""
    ideal = MESSAGES * LATENCY
    excess = [b.wall - t.wall for t, b in zip(bare, bot, strict=True)]
    lost = sum(o.lost for o in bare + bot)
    load = f"N={CHATS} M={MESSAGES} L={LATENCY:g} s"
    margin = at_most(
        f"{mode}: bot wall − bare bot wall, median of {len(excess)}",
        statistics.median(excess),
        "s",
        BARE_MARGIN,
        f"per round: {_seconds(excess, signed=True)}; difference of the medians "
        f"{median_wall(bot) - median_wall(bare):+.2f} s; {load}, overall limit raised"
        + (f"; {lost} replies LOST" if lost else ""),
    )
    if lost:  # the wall time leaves out the lost replies, so it reads too short
        margin = replace(margin, met=False)
    total: list[float] = []
    before: list[float] = []
    after: list[float] = []
    for outcome in bot:
        for into, values in zip((total, before, after), outcome.overheads(), strict=True):
            into.extend(values)
    ms = [x * 1000 for x in total]
    bare_ms = [x * 1000 for o in bare for x in o.overheads()[0]]
    split = (
        f"over {len(bot)} runs; p50 before the model {percentile(before, 50) * 1000:.0f} ms, "
        f"after {percentile(after, 50) * 1000:.0f} ms"
    )
    return [
        info(
            f"{mode}: bare bot wall, median of {len(bare)}",
            median_wall(bare),
            "s",
            f"rounds: {_seconds([o.wall for o in bare])}" + _delivery(bare) + _lost(bare),
        ),
        info(
            f"{mode}: bot wall, median of {len(bot)}",
            median_wall(bot),
            "s",
            f"rounds: {_seconds([o.wall for o in bot])}" + _delivery(bot) + _lost(bot),
        ),
        margin,
        info(
            f"{mode}: wall / ideal, {load}",
            median_wall(bot) / ideal,
            "",
            f"the bot's median wall {median_wall(bot):.2f} s, ideal {ideal:.0f} s; "
            f"the bare bot's {median_wall(bare) / ideal:.2f}",
        ),
        info(
            f"{mode}: latency the bot adds, p50",
            percentile(ms, 50),
            "ms",
            f"{split}; the bare bot's p50 {percentile(bare_ms, 50):.0f} ms",
        ),
        info(
            f"{mode}: latency the bot adds, p99",
            percentile(ms, 99),
            "ms",
            f"the bare bot's p99 {percentile(bare_ms, 99):.0f} ms",
        ),
        stall_figure(f"concurrency, {mode}", *(o.report for o in bot)),
    ]


def _seconds(values: list[float], *, signed: bool = False) -> str:
    return ", ".join(f"{v:+.2f}" if signed else f"{v:.2f}" for v in values) + " s"


def _delivery(outcomes: list[Outcome]) -> str:
    took = [o.delivered - o.started for o in outcomes if o.delivered is not None]
    if not took:
        return ""
    return f"; the fake POSTed the {CHATS * MESSAGES} updates in {_seconds(took)}"


def _lost(outcomes: list[Outcome]) -> str:
    lost = [o.lost for o in outcomes]
    return f"; replies LOST per round: {', '.join(map(str, lost))}" if any(lost) else ""


def window_peak(times: list[float], width: float = 1.0) -> int:
    """The most events in any ``width``-second window."""
    peak, low = 0, 0
    for high, at in enumerate(times):
        while at - times[low] >= width:
            low += 1
        peak = max(peak, high - low + 1)
    return peak


def fixed_peak(times: list[float]) -> int:
    """The most events in one second counted from the first event."""
    if not times:
        return 0
    seconds: dict[int, int] = {}
    for at in times:
        second = int(at - times[0])
        seconds[second] = seconds.get(second, 0) + 1
    return max(seconds.values())


def shaping_figures(outcome: Outcome) -> list[Figure]:
    expected = CHATS * MESSAGES
    floor = expected / DEFAULT_LIMIT
    lost = outcome.lost
    return [
        at_most(
            "default limit: most messages sent in any 1 s window",
            window_peak(outcome.sends),
            "messages",
            DEFAULT_LIMIT,
            f"{fixed_peak(outcome.sends)} in the busiest whole second from the first reply",
        ),
        at_most(
            "default limit: 429 answers from the fake",
            outcome.too_many,
            "",
            0,
            "; ".join(_why_refused(outcome, at, chat) for at, chat in outcome.refused),
        ),
        at_most(
            "default limit: replies lost",
            lost,
            "",
            0,
            f"{len(outcome.replies)} of {expected}, {outcome.duplicates} duplicates",
        ),
        at_most(
            "default limit: wall / (messages ÷ limit)",
            outcome.wall / floor,
            "",
            RATIO_TARGET,
            f"wall {outcome.wall:.1f} s for {expected} messages at {DEFAULT_LIMIT:g}/s "
            f"= {floor:.0f} s",
        ),
        stall_figure("concurrency, default limit", outcome.report),
    ]


def _why_refused(outcome: Outcome, at: float, chat: int | None) -> str:
    """What the fake had seen when it refused: the chat's sends in the 3 s before, everyone's
    in the 1 s before (Telegram's per-chat and overall limits)."""
    mine = sum(1 for t in outcome.chat_sends.get(chat or 0, []) if at - 3.0 < t <= at)
    everyone = sum(1 for t in outcome.sends if at - 1.0 < t <= at)
    return f"chat {chat}: {mine} of its messages in the 3 s before, {everyone} overall in 1 s"


async def main() -> list[Figure]:
    figures: list[Figure] = []
    for mode in ("polling", "webhook"):
        bare: list[Outcome] = []
        bot: list[Outcome] = []
        for n in range(ROUNDS):
            bare.append(await burst(mode, FAST, flood_control=False, bare=True))
            bot.append(await burst(mode, FAST, flood_control=False))
            print(
                f"  {mode}, round {n + 1}: bare bot {bare[-1].wall:.2f} s, bot {bot[-1].wall:.2f} s"
            )
            for line in warnings_of(bot[-1].report)[:5]:  # what a slow round may be explained by
                print(f"    the bot logged: {line[:300]}")
        compared = comparison_figures(mode, bare, bot)
        for figure in compared:
            print(figure.line())
        figures += compared
    outcome = await burst("polling", {}, flood_control=True)
    shaped = shaping_figures(outcome)
    for figure in shaped:
        print(figure.line())
    return figures + shaped
