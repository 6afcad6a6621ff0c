"""No log line ever shows the bot token or the Gemini key, even at DEBUG."""

from __future__ import annotations

import io
import logging

from telegemini.observability import configure_logging
from tests.e2e.conftest import GEMINI_KEY


async def test_token_and_key_never_reach_the_log(start_bot, telegram, alice):
    stream = io.StringIO()
    configure_logging(level="DEBUG", secrets=[telegram.token, GEMINI_KEY])
    logging.getLogger().handlers[0].setStream(stream)  # type: ignore[attr-defined]
    bot = await start_bot("polling")
    telegram.send_text(alice, "hello")
    await telegram.wait_for_bot_messages(alice.id, 1)
    telegram.send_text(alice, "[[fail:500]] make it fail")
    await telegram.wait_for_bot_messages(alice.id, 2)
    await bot.stop()
    output = stream.getvalue()
    assert "getUpdates" in output or "telegemini" in output  # the log really was written
    assert telegram.token not in output
    assert telegram.token.split(":")[1] not in output
    assert GEMINI_KEY not in output
