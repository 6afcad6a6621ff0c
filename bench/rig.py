"""Plumbing the benchmarks share on top of ``harness``: a cheap record of the bot's calls, fresh
PostgreSQL databases, users no earlier run touched, raw updates, and the loop-stall figure.

``FakeTelegramServer.wait_for_calls`` re-scans every recorded call on every change, which is
quadratic over thousands of replies; ``Tally`` files each call once, by method, as it happens.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from bench.results import Figure, at_most, info
from telegemini.sandbox.fake_gemini import FakeGeminiServer, RequestContext, ScriptedReply
from telegemini.sandbox.fake_telegram import FakeEvent, FakeTelegramServer, FakeUser, RecordedCall
from tests.helpers.databases import postgres_database

REDIS_URL = "redis://127.0.0.1:6379/0"
FAST = {"TELEGRAM_GLOBAL_RATE": "100000"}  # the overall send limit out of the way
STALL_TARGET_MS = 50.0  # issue #16: the longest event-loop stall in a throughput or burst run
_TOKEN = re.compile(r"\bq(\d+)m(\d+)\b")


class _ClientGone(logging.Filter):
    """The bot cancels a "typing…" refresh when its reply is sent, sometimes mid-request; the
    fake Telegram logs that as its own failure, with a traceback, thousands of times a run."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, ConnectionResetError)


def quiet_client_gone() -> None:
    """Drop those records (once per process; the benchmarks' own fakes only)."""
    logger = logging.getLogger("telegemini.sandbox.fake_telegram.server")
    if not any(isinstance(f, _ClientGone) for f in logger.filters):
        logger.addFilter(_ClientGone())


class Tally:
    """Every Bot API call the fake Telegram records, filed by method (lower case) as it comes.

    ``echo`` files the successful ``sendMessage`` calls that carry the fake model's answer
    ("You said: …"), so an error message sent instead of an answer never counts as a reply.
    ``handed`` holds, per update id, when a ``getUpdates`` answer carrying it was recorded, i.e.
    just before the fake wrote that answer to the bot.
    """

    def __init__(self, telegram: FakeTelegramServer) -> None:
        self.calls: dict[str, list[RecordedCall]] = defaultdict(list)
        self.handed: dict[int, float] = {}
        self._ok: dict[str, int] = defaultdict(int)
        self._waiters: dict[str, list[tuple[int, asyncio.Future[None]]]] = defaultdict(list)
        quiet_client_gone()
        self._unsubscribe = telegram.subscribe(self._on_event)

    def close(self) -> None:
        self._unsubscribe()

    def ok(self, method: str) -> list[RecordedCall]:
        return [c for c in self.calls[method.lower()] if c.ok]

    def count(self, method: str) -> int:
        """Successful calls of ``method`` so far."""
        return self._ok[method.lower()]

    def first_by_chat(self, *methods: str) -> dict[int, float]:
        """The earliest successful call of any of ``methods`` per chat."""
        first: dict[int, float] = {}
        for method in methods:
            for call in self.ok(method):
                chat = call.chat_id
                if chat is not None and (chat not in first or call.at < first[chat]):
                    first[chat] = call.at
        return first

    async def wait(self, method: str, count: int, timeout: float) -> None:  # noqa: ASYNC109
        """Until ``count`` successful calls of ``method`` were recorded since the tally began."""
        method = method.lower()
        if self.count(method) >= count:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters[method].append((count, future))
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"{self.count(method)} of {count} successful {method} calls after {timeout:.0f} s"
            ) from None

    async def settle(self, method: str, count: int, *, idle: float = 15.0) -> int:
        """Like ``wait``, but gives up once no new call came for ``idle`` seconds instead of
        raising: returns how many there are (fewer than ``count`` when replies were lost)."""
        while True:
            seen = self.count(method)
            try:
                await self.wait(method, count, timeout=idle)
                return self.count(method)
            except TimeoutError:
                if self.count(method) == seen:
                    print(f"  gave up: {seen} of {count} {method} calls, none for {idle:.0f} s")
                    return seen

    def _on_event(self, event: FakeEvent) -> None:
        if event.kind != "call":
            return
        call: RecordedCall = event.payload
        method = call.method.lower()
        self._file(method, call)
        if not call.ok:
            return
        if method == "getupdates" and isinstance(call.result, list):
            now = time.monotonic()
            for update in call.result:
                self.handed.setdefault(int(update["update_id"]), now)
        elif method == "sendmessage" and "You said:" in str(call.params.get("text", "")):
            self._file("echo", call)

    def _file(self, key: str, call: RecordedCall) -> None:
        self.calls[key].append(call)
        if not call.ok:
            return
        self._ok[key] += 1
        waiters = self._waiters.get(key)
        if waiters:
            done = self._ok[key]
            for entry in [w for w in waiters if done >= w[0]]:
                waiters.remove(entry)
                if not entry[1].done():
                    entry[1].set_result(None)


class AnswerClock:
    """Makes the fake Gemini echo like its default, and notes when each answer was composed
    (after the fake's ``latency``), keyed by the ``q<chat>m<n>`` token in the user's text."""

    def __init__(self, gemini: FakeGeminiServer, chunks: Callable[[str], list[str]] | None = None):
        self.at: dict[tuple[int, int], float] = {}
        self._chunks = chunks
        gemini.script.responder = self._respond

    def _respond(self, context: RequestContext) -> ScriptedReply:
        found = _TOKEN.search(context.text)
        if found:
            self.at.setdefault((int(found[1]), int(found[2])), time.monotonic())
        reply = f"You said: {context.text}"
        if self._chunks is not None:
            return ScriptedReply(chunks=self._chunks(reply))
        return ScriptedReply(text=reply)


def token(chat_id: int, n: int) -> str:
    """The marker a benchmark message carries so its answer and reply can be matched."""
    return f"q{chat_id}m{n}"


def parse_token(text: str) -> tuple[int, int] | None:
    found = _TOKEN.search(text)
    return (int(found[1]), int(found[2])) if found else None


def fresh_users(count: int, name: str = "U") -> list[FakeUser]:
    """Users with ids no earlier run used (Redis keeps per-user buckets for a while)."""
    base = random.randrange(10**8, 10**9) * 1000
    return [FakeUser(id=base + n, first_name=f"{name}{n}") for n in range(count)]


def private_update(user: FakeUser, text_: str, update_id: int) -> dict[str, Any]:
    """A private-chat text message as Telegram would POST it to a webhook."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id % 1_000_000 + 1,
            "date": int(time.time()),
            "chat": user.private_chat(),
            "from": user.to_api(),
            "text": text_,
        },
    }


# A new empty database on the local PostgreSQL, dropped afterwards (the tests' own helper).
fresh_postgres = postgres_database


def stall_figure(run: str, *reports: dict[str, Any] | None) -> Figure:
    """The bot's own longest event-loop stall (its 50 ms ticker's lateness) over one run, or the
    longest over several runs' reports; the note counts the errors the bot logged meanwhile,
    which a benchmark should never cause."""
    stalls = [None if r is None else r.get("stall_ms") for r in reports]
    errors = sum(logged_errors(r.get("log", "")) for r in reports if r is not None)
    notes = [f"the bot logged {errors} errors"] if errors else []
    name = f"longest event-loop stall: {run}"
    known = [s for s in stalls if s is not None]
    if not known or len(known) < len(stalls):  # a run without its figure: no verdict
        return info(name, None, "ms", "; ".join(["not reported", *notes]))
    if len(known) > 1:
        notes.insert(0, f"the longest of {len(known)} runs: {', '.join(f'{s:.0f}' for s in known)}")
    return at_most(name, max(known), "ms", STALL_TARGET_MS, "; ".join(notes))


def logged_errors(log: str) -> int:
    """ERROR and CRITICAL lines in the bot's text log."""
    return sum(1 for line in log.splitlines() if " ERROR " in line or " CRITICAL " in line)


async def warm_up(telegram: FakeTelegramServer, tally: Tally, user: FakeUser) -> None:
    """One message and its reply: first-use imports and caches are paid before measuring."""
    before = tally.count("echo")
    telegram.send_text(user, "warm up")
    await tally.wait("echo", before + 1, timeout=60)
