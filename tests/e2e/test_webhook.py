"""The webhook server refuses what is not from Telegram, before any handler runs."""

from __future__ import annotations

import io
import json

import aiohttp
import pytest


@pytest.fixture
async def webhook_bot(start_bot):
    return await start_bot("webhook")


async def _post(bot, body: bytes, headers: dict[str, str]) -> int:
    url = f"http://127.0.0.1:{bot.webhook.port}/webhook"
    data = io.BytesIO(body)
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=data, headers=headers) as r,
    ):
        return r.status


UPDATE = json.dumps(
    {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 5, "type": "private"},
            "from": {"id": 5, "is_bot": False, "first_name": "X"},
            "text": "hi",
        },
    }
).encode()


async def test_wrong_or_missing_secret_is_refused(webhook_bot, telegram, gemini):
    json_type = {"Content-Type": "application/json"}
    assert await _post(webhook_bot, UPDATE, json_type) == 403
    wrong = {**json_type, "X-Telegram-Bot-Api-Secret-Token": "nope"}
    assert await _post(webhook_bot, UPDATE, wrong) == 403
    assert gemini.interaction_requests() == []
    assert telegram.calls_of("sendMessage") == []


async def test_malformed_bodies_get_400_and_huge_ones_413(webhook_bot):
    headers = {
        "Content-Type": "application/json",
        "X-Telegram-Bot-Api-Secret-Token": "e2e-secret_Token",
    }
    assert await _post(webhook_bot, b"not json", headers) == 400
    assert await _post(webhook_bot, b'{"no": "update"}', headers) == 400
    assert await _post(webhook_bot, b"[" + b"1," * 600_000 + b"1]", headers) == 413


async def test_registration_and_health(webhook_bot, telegram):
    [call] = telegram.calls_of("setWebhook")
    assert call.params["url"] == f"http://127.0.0.1:{webhook_bot.webhook.port}/webhook"
    assert call.params["secret_token"] == "e2e-secret_Token"
    url = f"http://127.0.0.1:{webhook_bot.webhook.port}/healthz"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
