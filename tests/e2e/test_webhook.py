"""The webhook server refuses what is not from Telegram, before any handler runs."""

from __future__ import annotations

import asyncio
import io
import json
import re

import aiohttp
import pytest

from telegemini.sandbox.fake_telegram import FakeUser


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
    deep = b'{"update_id": 1, "message": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_001
    assert await _post(webhook_bot, deep, headers) == 400
    for update in (
        {"update_id": 1, "message": "hello"},
        {"update_id": 2, "message": {"message_id": 1, "date": 0, "text": "no chat"}},
        {"update_id": 2**64, "message": json.loads(UPDATE)["message"]},
        {"update_id": True, "message": json.loads(UPDATE)["message"]},
        {"update_id": 3, "message": json.loads(UPDATE)["message"], "callback_query": {}},
        {"update_id": 4, "no_such_kind": {}},
        [1, 2, 3],
    ):
        assert await _post(webhook_bot, json.dumps(update).encode(), headers) == 400, update
    assert await _post(webhook_bot, b"[" + b"1," * 600_000 + b"1]", headers) == 413


async def test_a_huge_body_without_a_declared_length_is_cut_off_at_the_limit(webhook_bot):
    headers = {
        "Content-Type": "application/json",
        "X-Telegram-Bot-Api-Secret-Token": "e2e-secret_Token",
    }

    async def chunks():  # chunked transfer encoding: no Content-Length to refuse up front
        for _ in range(40):
            yield b" " * 64 * 1024

    url = f"http://127.0.0.1:{webhook_bot.webhook.port}/webhook"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=chunks(), headers=headers) as response,
    ):
        assert response.status == 413


async def test_registration_and_health(webhook_bot, telegram):
    [call] = telegram.calls_of("setWebhook")
    assert call.params["url"] == f"http://127.0.0.1:{webhook_bot.webhook.port}/webhook"
    assert call.params["secret_token"] == "e2e-secret_Token"
    url = f"http://127.0.0.1:{webhook_bot.webhook.port}/healthz"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200


async def test_readiness_reports_the_database_and_redis(start_bot, telegram):
    from tests.helpers.databases import REDIS_URL

    bot = await start_bot("webhook", redis_url=REDIS_URL)
    url = f"http://127.0.0.1:{bot.webhook.port}/readyz"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        assert await response.json() == {"status": "ready", "database": "ok", "redis": "ok"}
    await bot.store.engine.dispose()  # the pool reconnects, so make the database go away:
    bot.inbox._engine = _broken_engine()
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 503
        body = await response.json()
        assert body["status"] == "not ready"
        assert body["database"].startswith("unreachable")


async def test_an_outage_and_the_recovery_are_logged_and_alerted(start_bot, telegram, caplog):
    admin = FakeUser(id=4242, first_name="Root", username="root", language_code="en")
    bot = await start_bot("polling", admin_user_ids=[admin.id])
    telegram.send_text(admin, "hi")  # the admin has opened a chat with the bot
    await telegram.wait_for_bot_messages(admin.id, 1)
    for _ in range(500):  # until that update is marked done: the outage must not cut it off
        if (await bot.inbox.depth())[0] == 0:
            break
        await asyncio.sleep(0.01)
    working = bot.inbox._engine
    bot.inbox._engine = _broken_engine()

    await bot.check_dependencies()

    alert = (await telegram.wait_for_bot_messages(admin.id, 2))[1]
    assert "database is unreachable" in alert["text"]
    assert any(
        r.levelname == "ERROR" and "database is unreachable" in r.getMessage()
        for r in caplog.records
    )
    assert _dependency_up(bot, "database") == 0

    await bot.inbox._engine.dispose()
    bot.inbox._engine = working
    await bot.check_dependencies()

    back = (await telegram.wait_for_bot_messages(admin.id, 3))[2]
    assert "database is reachable again" in back["text"]
    assert _dependency_up(bot, "database") == 1


def _dependency_up(bot, name: str) -> float | None:
    return bot.metrics.registry.get_sample_value("telegemini_dependency_up", {"name": name})


def _broken_engine():
    from telegemini.storage.sql import make_engine

    return make_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")


async def test_metrics_count_updates_and_latency(webhook_bot, telegram, alice):
    telegram.send_text(alice, "hello")
    await telegram.wait_for_bot_messages(alice.id, 1)
    url = f"http://127.0.0.1:{webhook_bot.webhook.port}/metrics"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        text = await response.text()
    assert 'telegemini_updates_received_total{source="webhook"} 1.0' in text
    assert 'telegemini_updates_processed_total{kind="text",result="done"} 1.0' in text
    assert 'telegemini_gemini_seconds_count{call="chat",model="gemini-3.5-flash-lite"} 1.0' in text
    assert re.search(r"^telegemini_inbox_depth [01]\.0$", text, flags=re.MULTILINE)
    assert re.search(r"^telegemini_inbox_oldest_seconds \d", text, flags=re.MULTILINE)


async def test_a_redelivered_webhook_update_is_stored_once(webhook_bot, telegram, gemini, alice):
    update = telegram.send_text(alice, "once")
    await telegram.wait_for_bot_messages(alice.id, 1)
    headers = {
        "Content-Type": "application/json",
        "X-Telegram-Bot-Api-Secret-Token": "e2e-secret_Token",
    }
    assert await _post(webhook_bot, json.dumps(update).encode(), headers) == 200
    telegram.send_text(alice, "twice?")
    await telegram.wait_for_bot_messages(alice.id, 2)
    assert len(gemini.interaction_requests()) == 2
