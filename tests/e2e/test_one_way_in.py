"""One way in: every update goes through the durable inbox before anything handles it.

Long polling stores each ``getUpdates`` batch, and only then moves the offset past it: an update
it could not store (the database away) is never confirmed to Telegram, so Telegram hands it out
again, and it is answered exactly once. An album is one unit of work: its parts are stored as
they come and handled together, in the conversation's order, once the album has been quiet for
a moment. All through the real aiogram and google-genai SDK, against the in-package fakes.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from telegemini.sandbox.fake_telegram.models import as_int
from telegemini.storage.sql import make_engine

STORE_FAILED = "could not store"  # what the poller logs when a batch could not be stored


class LogWatch(logging.Handler):
    """Counts the log records that contain ``needle`` and wakes whoever waits for them."""

    def __init__(self, needle: str) -> None:
        super().__init__()
        self.needle = needle
        self.count = 0
        self._changed = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.needle in record.getMessage():
            self.count += 1
            self._changed.set()

    async def wait_for(self, count: int = 1, *, timeout: float = 5.0) -> None:
        async def reached() -> None:
            while self.count < count:
                self._changed.clear()
                await self._changed.wait()

        try:
            await asyncio.wait_for(reached(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"timed out after {timeout}s waiting for {count} log record(s) containing "
                f"{self.needle!r}; saw {self.count}"
            ) from None


@contextlib.contextmanager
def watching(logger: str, needle: str) -> Iterator[LogWatch]:
    watch = LogWatch(needle)
    logging.getLogger(logger).addHandler(watch)
    try:
        yield watch
    finally:
        logging.getLogger(logger).removeHandler(watch)


def _broken_engine():
    """An engine whose every connection is refused: the database is away."""
    return make_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")


def _polled(telegram, update_id: int, *, since: float) -> int:
    """How many getUpdates calls made since ``since`` (``time.monotonic()``) got the update.

    ``since`` leaves out a long poll that a stopped bot of an earlier test left open on the fake:
    like Telegram, the fake may still answer it, which hands the update to no one and confirms
    nothing.
    """
    return sum(
        1
        for call in telegram.calls_of("getUpdates")
        if call.ok and call.at >= since and any(u["update_id"] == update_id for u in call.result)
    )


def _confirmed(telegram, update_id: int) -> bool:
    """Whether an answered getUpdates call confirmed the update (its offset went past it).

    The fake records a call when it answers it: a long poll still open is not counted yet.
    """
    offsets = [as_int(c.params.get("offset")) for c in telegram.calls_of("getUpdates")]
    return any(offset is not None and offset > update_id for offset in offsets)


async def _held_by_telegram(bot) -> int:
    """How many updates Telegram (the fake) still holds for the bot: not confirmed yet."""
    return (await bot.bot.get_webhook_info()).pending_update_count


def _texts(telegram, chat_id: int) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in telegram.bot_messages(chat_id)]


# --- long polling never confirms what it could not store ---------------------------------------


async def test_an_update_whose_storage_failed_is_redelivered_and_answered_exactly_once(
    start_bot, telegram, gemini, alice, tmp_path
):
    database = f"sqlite+aiosqlite:///{tmp_path / 'one-way-in.db'}"
    started = time.monotonic()
    first = await start_bot("polling", database_url=database)
    broken = _broken_engine()
    first.inbox._engine = broken  # the inbox (the pump's too) loses its database
    with watching("telegemini.tg.polling", STORE_FAILED) as failures:
        update = telegram.send_text(alice, "are you there?")
        await failures.wait_for(1)
    assert _polled(telegram, update["update_id"], since=started) == 1  # the bot got it,
    assert await _held_by_telegram(first) == 1, "confirmed to Telegram, yet never stored"
    await first.stop()  # and stops without ever having stored it.
    await broken.dispose()
    assert telegram.bot_messages(alice.id) == []
    assert gemini.interaction_requests() == []
    restarted = time.monotonic()

    await start_bot("polling", database_url=database)  # the same database, working again

    [reply] = await telegram.wait_for_bot_messages(alice.id, 1)
    assert reply["text"] == "You said: are you there?"
    # Telegram (the fake) handed the unconfirmed update out again to the new poller.
    assert _polled(telegram, update["update_id"], since=restarted) == 1
    telegram.send_text(alice, "and now?")  # answered after anything still due in this chat
    await telegram.wait_until(
        lambda: any(t.startswith("You said: and now?") for t in _texts(telegram, alice.id)),
        what="the answer to the next message",
    )
    texts = _texts(telegram, alice.id)
    assert len(texts) == 2, texts  # one answer per message: none answered twice
    once, then = texts
    assert once == "You said: are you there?"
    assert then.startswith("You said: and now?")
    assert "Earlier you said: are you there?" in then  # the redelivered turn is in the history
    assert len(gemini.interaction_requests()) == 2


async def test_a_database_outage_during_long_polling_is_answered_once_after_recovery(
    start_bot, telegram, gemini, alice
):
    started = time.monotonic()
    bot = await start_bot("polling")
    working, broken = bot.inbox._engine, _broken_engine()
    bot.inbox._engine = broken
    with watching("telegemini.tg.polling", STORE_FAILED) as failures:
        update = telegram.send_text(alice, "hello through the outage")
        await failures.wait_for(2)  # it keeps trying to store the same batch
    # Meanwhile the poller confirmed nothing and nothing was answered.
    assert await _held_by_telegram(bot) == 1, "confirmed to Telegram, yet not stored"
    assert not _confirmed(telegram, update["update_id"])
    assert telegram.bot_messages(alice.id) == []
    assert gemini.interaction_requests() == []

    bot.inbox._engine = working  # the database is back
    await broken.dispose()

    [reply] = await telegram.wait_for_bot_messages(alice.id, 1)
    assert reply["text"] == "You said: hello through the outage"
    telegram.send_text(alice, "and after it")  # answered after anything still due here
    await telegram.wait_until(
        lambda: any(t.startswith("You said: and after it") for t in _texts(telegram, alice.id)),
        what="the answer to the next message",
    )
    texts = _texts(telegram, alice.id)
    assert len(texts) == 2, texts  # one answer per message: none answered twice
    once, then = texts
    assert once == "You said: hello through the outage"
    assert then.startswith("You said: and after it")
    assert len(gemini.interaction_requests()) == 2
    # The poller stored the batch it held, on a retry: nothing was handed out twice.
    assert _polled(telegram, update["update_id"], since=started) == 1
    assert _confirmed(telegram, update["update_id"])  # confirmed once stored


# --- an album is one unit of work ----------------------------------------------------------------


def _png_bytes(color: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, format="PNG")
    return out.getvalue()


def _references(body: dict[str, Any]) -> list[bytes]:
    return [
        base64.b64decode(block["data"])
        for step in body["input"]
        for block in step.get("content", [])
        if block.get("type") == "image"
    ]


def _taken(telegram, update_id: int, *, since: float) -> bool:
    """Whether the bot took the update: a getUpdates answer held it, or the webhook took it."""
    posted = any(
        a.update_id == update_id and a.status is not None and 200 <= a.status < 300
        for a in telegram.webhook_attempts
    )
    return posted or _polled(telegram, update_id, since=since) > 0


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_an_album_followed_at_once_by_a_text_is_answered_in_order(
    start_bot, telegram, gemini, alice, mode
):
    started = time.monotonic()
    await start_bot(mode, image_timeout=5.0)
    colors = [_png_bytes(c) for c in ("red", "green", "blue")]
    for n, data in enumerate(colors):
        part = telegram.send_photo(
            alice, data, width=40, height=30, media_group_id="album-1",
            caption="/image combine these into one poster" if n == 0 else None,
        )  # fmt: skip
        # Each part reaches the bot on its own (its own getUpdates batch or webhook call), as
        # Telegram may send them: the parts are stored as they come.
        await telegram.wait_until(
            lambda part=part: _taken(telegram, part["update_id"], since=started),
            what=f"album part {n} taken",
        )
    telegram.send_text(alice, "and what about the sea?")  # at once, while the album settles

    await telegram.wait_until(
        lambda: any(t.startswith("You said: and what") for t in _texts(telegram, alice.id)),
        timeout=10,
        what="the answer to the text",
    )
    replies = [
        ("photo", m.get("caption", "")) if m.get("photo") else ("text", m.get("text", ""))
        for m in telegram.bot_messages(alice.id)
    ]
    # The album's answer first, then the text's; nothing else.
    assert [kind for kind, _ in replies] == ["photo", "text"], replies
    assert replies[0][1].startswith("🎨 combine these into one poster"), replies
    assert replies[1][1].startswith("You said: and what about the sea?"), replies
    assert len(telegram.calls_of("sendPhoto")) == 1
    # The album reached Gemini as one request with every picture, before the text did.
    requests = gemini.interaction_requests()
    kinds = ["image" if b.get("response_format") else "chat" for b in requests]
    assert kinds == ["image", "chat"], kinds
    assert _references(requests[0]) == colors
