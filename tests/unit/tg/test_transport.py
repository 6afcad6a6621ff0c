"""Cancelled callers must not cost the Bot API connection pool a slot (encode/httpcore#1093).

The bot's "typing…" refresh used to be cancelled mid-request whenever a reply went out; each
such cancellation could strand a request or a connection in httpcore's pool, and after ~2,000
chats every slot was gone and the bot stopped answering.
"""

from __future__ import annotations

import asyncio
import random

from aiohttp import web

from telegemini.tg.transport import CompletingHTTPXRequest


async def _slow_server(delay: float) -> tuple[web.AppRunner, str]:
    async def answer(_: web.Request) -> web.Response:
        await asyncio.sleep(delay)
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}/botTOKEN/sendChatAction"


async def test_cancelled_requests_give_their_connections_back():
    runner, url = await _slow_server(delay=0.02)
    request = CompletingHTTPXRequest(connection_pool_size=4)
    await request.initialize()
    rng = random.Random(7)
    try:

        async def cancelled_midway() -> None:
            task = asyncio.create_task(request.do_request(url, "POST"))
            await asyncio.sleep(rng.uniform(0.0, 0.03))
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

        # Far more callers than slots, cancelled at every stage of their requests.
        for _ in range(5):
            await asyncio.gather(*(cancelled_midway() for _ in range(40)))

        # Every slot is usable again: a burst as large as the pool goes through at once.
        answers = await asyncio.wait_for(
            asyncio.gather(*(request.do_request(url, "POST") for _ in range(4))), timeout=5
        )
        assert [code for code, _ in answers] == [200] * 4
        # Requests nobody waits for finish in the background; then the pool is empty again.
        pool = request._client._transport._pool  # type: ignore[attr-defined]
        for _ in range(500):
            if not pool._requests:
                break
            await asyncio.sleep(0.01)
        assert not pool._requests, f"requests stranded in the pool: {pool}"
        assert all(c.is_idle() for c in pool.connections), pool.connections
    finally:
        await request.shutdown()
        await runner.cleanup()


async def test_a_cancelled_caller_stops_waiting_at_once():
    runner, url = await _slow_server(delay=0.5)
    request = CompletingHTTPXRequest(connection_pool_size=1)
    await request.initialize()
    try:
        task = asyncio.create_task(request.do_request(url, "POST"))
        await asyncio.sleep(0.05)
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=0.1)
        assert done == {task}
        assert task.cancelled()
    finally:
        await request.shutdown()
        await runner.cleanup()
