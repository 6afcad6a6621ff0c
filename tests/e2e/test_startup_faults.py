"""Start-up and running faults that stop the bot: one clear line naming the problem and the
fix, a non-zero exit, never a traceback nor a secret."""

from __future__ import annotations

import asyncio
import sys

from telegemini.errors import TokenRejected
from tests.e2e.conftest import process_environment


async def test_a_rejected_token_at_start_up_is_one_line_and_exit_status_1(
    telegram, gemini, tmp_path
):
    wrong = "123456:AAwrong-token-of-the-right-shape-xyz12345"
    environment = process_environment(
        telegram,
        gemini,
        TELEGRAM_BOT_TOKEN=wrong,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        LOG_LEVEL="WARNING",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "telegemini", "run", env=environment, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    text = (out + err).decode()
    assert process.returncode == 1
    assert "telegemini cannot start:\n  - telegram: the bot token was rejected" in text
    assert "fix: check TELEGRAM_BOT_TOKEN: in Telegram, @BotFather" in text
    assert "Traceback" not in text
    assert wrong not in text
    assert wrong.split(":")[1] not in text


async def test_a_token_revoked_while_polling_stops_the_bot_with_that_error(start_bot, telegram):
    bot = await start_bot("polling")
    telegram.fail_next("getUpdates", status=401, description="Unauthorized")
    await asyncio.wait_for(bot.components.failure.happened.wait(), timeout=20)
    assert isinstance(bot.components.failure.error, TokenRejected)


async def test_a_database_that_refuses_connections_is_one_explained_line(
    telegram, gemini, tmp_path
):
    environment = process_environment(
        telegram,
        gemini,
        DATABASE_URL="postgresql://bot:hunter22@127.0.0.1:1/bot",  # nothing listens there
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "telegemini", "run", env=environment, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    text = (out + err).decode()
    assert process.returncode == 1
    assert "telegemini cannot start:\n  - database: " in text
    assert "fix: " in text
    assert "Traceback" not in text
    assert "hunter22" not in text
    assert telegram.token not in text
