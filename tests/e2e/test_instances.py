"""Several instances on one PostgreSQL and Redis, behind a load balancer: one chat stays in order
and its conversation never forks, a duplicate is handled once, and a killed instance loses
nothing."""

from __future__ import annotations

import asyncio
import base64
import io
import itertools
import json
import signal
import socket
import sys
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from PIL import Image

from tests.e2e.conftest import process_environment
from tests.helpers.databases import REDIS_URL, postgres_database

SECRET = "e2e-secret_Token"


class RoundRobin:
    """A tiny load balancer: each webhook POST goes to the next instance."""

    def __init__(self) -> None:
        self.targets: list[str] = []
        self.sent: list[str] = []
        self._next = itertools.count()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/webhook", self._forward)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.Response:
        if not self.targets:
            return web.Response(status=503)
        target = self.targets[next(self._next) % len(self.targets)]
        self.sent.append(target)
        headers = {"Content-Type": "application/json"}
        headers["X-Telegram-Bot-Api-Secret-Token"] = request.headers.get(
            "X-Telegram-Bot-Api-Secret-Token", ""
        )
        async with aiohttp.ClientSession() as session:
            response = await session.post(
                f"{target}/webhook", data=await request.read(), headers=headers
            )
            return web.Response(status=response.status, text=await response.text())


@pytest.fixture
async def database() -> AsyncIterator[str]:
    async with postgres_database() as url:
        yield url


@pytest.fixture
async def balancer() -> AsyncIterator[RoundRobin]:
    lb = RoundRobin()
    await lb.start()
    try:
        yield lb
    finally:
        await lb.stop()


async def start_pair(start_bot, database: str, balancer: RoundRobin):
    common = {
        "database_url": database,
        "redis_url": REDIS_URL,
        "telegram_secret_token": SECRET,
    }
    first = await start_bot("webhook", **common)
    second = await start_bot("webhook", **common)
    balancer.targets = [f"http://127.0.0.1:{b.webhook.port}" for b in (first, second)]
    await first.bot.set_webhook(f"{balancer.url}/webhook", secret_token=SECRET)
    return first, second


# `database` comes first: fixtures are torn down in reverse, so the bots stop before it goes.
async def test_one_chat_alternating_between_instances_stays_ordered_and_chained(
    database, balancer, start_bot, telegram, gemini, alice
):
    await start_pair(start_bot, database, balancer)
    gemini.latency = 0.05
    for n in range(6):
        telegram.send_text(alice, f"m{n}")
    messages = await telegram.wait_for_bot_messages(alice.id, 6, timeout=20)
    firsts = [m["text"].splitlines()[0] for m in messages]
    assert firsts == [f"You said: m{n}" for n in range(6)]
    assert "Earlier you said: m0 | m1 | m2 | m3 | m4" in messages[5]["text"]  # never forked
    assert set(balancer.sent) == set(balancer.targets)  # both instances took updates


async def test_the_same_update_sent_to_both_instances_is_handled_once(
    database, balancer, start_bot, telegram, gemini, alice
):
    first, second = await start_pair(start_bot, database, balancer)
    update = telegram.send_text(alice, "only once")
    await telegram.wait_for_bot_messages(alice.id, 1)
    body = json.dumps(update).encode()
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with aiohttp.ClientSession() as session:
        for bot in (first, second):
            url = f"http://127.0.0.1:{bot.webhook.port}/webhook"
            async with session.post(url, data=body, headers=headers) as response:
                assert response.status == 200
    telegram.send_text(alice, "next")
    await telegram.wait_for_bot_messages(alice.id, 2)
    assert len(gemini.interaction_requests()) == 2
    assert len(telegram.bot_messages(alice.id)) == 2


def _png_bytes(color: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, format="PNG")
    return out.getvalue()


def _references(body: dict) -> list[bytes]:
    return [
        base64.b64decode(block["data"])
        for step in body["input"]
        for block in step.get("content", [])
        if block.get("type") == "image"
    ]


async def test_with_two_instances_an_album_of_four_photos_is_one_edit_with_four_references(
    database, balancer, start_bot, telegram, gemini, alice
):
    await start_pair(start_bot, database, balancer)
    colors = [_png_bytes(c) for c in ("red", "green", "blue", "yellow")]
    for n, data in enumerate(colors):
        telegram.send_photo(
            alice, data, width=40, height=30, media_group_id="album-4",
            caption="/image one poster of all four" if n == 0 else None,
        )  # fmt: skip
    [photo] = await telegram.wait_for_calls("sendPhoto", 1, timeout=10)
    # Telegram posted the parts one by one; the balancer alternated them between the instances.
    assert balancer.sent[:4] == balancer.targets * 2
    telegram.send_text(alice, "thanks")  # answered after anything still due in this chat
    await telegram.wait_until(
        lambda: any(
            m.get("text", "").startswith("You said: thanks")
            for m in telegram.bot_messages(alice.id)
        ),
        timeout=10,
        what="the answer to the text after the album",
    )
    images = [b for b in gemini.interaction_requests() if b.get("response_format")]
    assert len(images) == 1, f"{len(images)} image requests for one album"
    assert _references(images[0]) == colors  # every picture, in the album's order
    assert len(telegram.calls_of("sendPhoto")) == 1
    assert photo.params["caption"].startswith("🎨 one poster of all four")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_killing_an_instance_mid_work_loses_nothing(
    database, start_bot, telegram, gemini, alice, tmp_path
):
    port = _free_port()
    environment = process_environment(
        telegram,
        gemini,
        DATABASE_URL=database,
        REDIS_URL=REDIS_URL,
        WEBHOOK_URL=f"http://127.0.0.1:{port}",
        PORT=str(port),
        TELEGRAM_SECRET_TOKEN=SECRET,
        INBOX_LEASE="1",
        VOICE_ENABLED="false",
    )
    doomed = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "telegemini", "run", env=environment, cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await telegram.wait_for_calls("setWebhook", timeout=30)
        gemini.latency = 3.0  # the doomed instance will be in the middle of this answer
        telegram.send_text(alice, "survive this")
        await gemini.wait_for_requests(1, match="interactions", timeout=10)
    finally:
        doomed.send_signal(signal.SIGKILL)
        await doomed.wait()
    gemini.latency = 0.0
    await start_bot("webhook", database_url=database, redis_url=REDIS_URL, inbox_lease=1.0)
    [reply] = await telegram.wait_for_bot_messages(alice.id, 1, timeout=15)
    assert reply["text"] == "You said: survive this"
    assert len(gemini.interaction_requests()) == 2  # tried by the killed one, done by the other


async def test_sigterm_stops_gracefully_within_ten_seconds(telegram, gemini, alice, tmp_path):
    environment = process_environment(
        telegram,
        gemini,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        VOICE_ENABLED="false",
    )
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "telegemini", "run", env=environment, cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    await telegram.wait_for_calls("deleteWebhook", timeout=30)  # then it polls
    gemini.latency = 1.0
    telegram.send_text(alice, "answer before you go")
    await gemini.wait_for_requests(1, match="interactions", timeout=10)
    bot.send_signal(signal.SIGTERM)
    code = await asyncio.wait_for(bot.wait(), timeout=10)
    assert code == 0
    [reply] = telegram.bot_messages(alice.id)  # the answer in flight was finished first
    assert reply["text"] == "You said: answer before you go"
