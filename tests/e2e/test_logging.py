"""Every log line written while an update is handled names the update and the chat."""

from __future__ import annotations

import io
import json
import logging

from telegemini.observability import configure_logging


async def test_json_log_lines_carry_the_update_and_chat(start_bot, telegram, alice):
    stream = io.StringIO()
    configure_logging(level="INFO", fmt="json")
    logging.getLogger().handlers[0].setStream(stream)  # type: ignore[attr-defined]
    await start_bot("polling")
    telegram.send_text(alice, "[[fail:503]] please fail")  # the bot logs the failure
    await telegram.wait_for_bot_messages(alice.id, 1)
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    during = [line for line in lines if line.get("update_id") is not None]
    assert during, "some lines were written while handling the update"
    assert all(line["chat_id"] == alice.id for line in during)
    assert any("UpstreamUnavailable" in line["message"] for line in during)
