"""The least a bot can do per text update: the bare bot the benchmarks compare the real one with.

``python -m bench.trivial_bot TELEGRAM_URL TOKEN GEMINI_URL COUNT [--webhook PORT --secret S]``:
takes updates from the fake Telegram and, for each, makes the calls the real bot makes
(``sendChatAction``, a streamed Interactions ``create`` on the fake Gemini read to its end,
``sendMessage``), with no storage, no rate limits and no formatting. Like the real bot, one
chat's messages are answered in order, one at a time, and different chats concurrently.

Polling (the default): ``deleteWebhook``, then long polls. Webhook: an aiohttp server on
``127.0.0.1:PORT`` takes the fake's POSTs to ``/webhook`` (403 without the secret token header),
queues each update and answers 200 at once; ``setWebhook`` registers it. Either way it prints
``ready`` once updates can come, and exits after COUNT replies. Whatever rate it reaches is what
the fakes can serve on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import deque
from typing import Any

import aiohttp
from aiohttp import web

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # what the fake Telegram sends
# Connections as the real bot has them: up to 256 to the Bot API (tg/bot.py), no limit to
# Gemini (gemini/stream.py); one pool for both would make chats wait for each other's calls.
BOT_API_CONNECTIONS = 256


class TrivialBot:
    def __init__(self, telegram: str, token: str, gemini: str, count: int) -> None:
        self._api = f"{telegram}/bot{token}"
        self._gemini = f"{gemini}/v1beta/interactions"
        self._session: aiohttp.ClientSession | None = None  # the Bot API's
        self._model: aiohttp.ClientSession | None = None  # Gemini's
        self._count = count
        self._chats: dict[int, deque[dict[str, Any]]] = {}  # chats with work: what is waiting
        self._tasks: set[asyncio.Task[None]] = set()
        self._done = asyncio.Event()
        self.replied = 0

    async def call(self, method: str, **params: Any) -> Any:
        assert self._session is not None
        async with self._session.post(f"{self._api}/{method}", json=params) as response:
            return (await response.json())["result"]

    async def answer(self, update: dict[str, Any]) -> None:
        message = update["message"]
        chat = message["chat"]["id"]
        await self.call("sendChatAction", chat_id=chat, action="typing")
        body = {
            "model": "gemini-3.5-flash-lite",
            "input": [
                {"type": "user_input", "content": [{"type": "text", "text": message["text"]}]}
            ],
            "store": True,
            "stream": True,
        }
        assert self._model is not None
        headers = {"x-goog-api-key": "bench-key"}
        async with self._model.post(self._gemini, json=body, headers=headers) as response:
            stream = await response.read()
        text = "You said: " + message["text"] if b"interaction.completed" in stream else "?"
        await self.call("sendMessage", chat_id=chat, text=text)
        self.replied += 1
        if self.replied >= self._count:
            self._done.set()

    def take(self, update: dict[str, Any]) -> None:
        """Queue an update behind its chat's earlier ones; a chat with nothing running gets a
        task that answers its queue in order and ends when the queue is empty."""
        message = update.get("message")
        if not isinstance(message, dict) or "text" not in message:
            return
        chat = int(message["chat"]["id"])
        waiting = self._chats.get(chat)
        if waiting is not None:
            waiting.append(update)
            return
        self._chats[chat] = deque([update])
        task = asyncio.create_task(self._serve(chat))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, chat: int) -> None:
        waiting = self._chats[chat]
        try:
            while waiting:
                update = waiting.popleft()
                try:
                    await self.answer(update)
                except Exception as exc:  # a lost reply shows in the figures; keep the chat going
                    print(f"update {update.get('update_id')}: {exc!r}", file=sys.stderr)
        finally:
            del self._chats[chat]  # no await since the queue was seen empty: nothing is lost

    async def poll(self) -> None:
        await self.call("deleteWebhook")
        print("ready", flush=True)
        offset = 0
        while self.replied < self._count:
            updates = await self.call("getUpdates", offset=offset, timeout=1, limit=100)
            for update in updates:
                offset = max(offset, update["update_id"] + 1)
                self.take(update)

    async def serve_webhook(self, port: int, secret: str) -> None:
        async def receive(request: web.Request) -> web.Response:
            if request.headers.get(SECRET_HEADER) != secret:
                return web.Response(status=403)
            self.take(await request.json())
            return web.Response()

        app = web.Application()
        app.router.add_post("/webhook", receive)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", port).start()
            url = f"http://127.0.0.1:{port}/webhook"
            await self.call("setWebhook", url=url, secret_token=secret)
            print("ready", flush=True)
            await self._done.wait()
            await self.call("deleteWebhook")
        finally:
            await runner.cleanup()

    async def run(self, webhook: int | None, secret: str) -> None:
        api = aiohttp.TCPConnector(limit=BOT_API_CONNECTIONS)
        model = aiohttp.TCPConnector(limit=0)
        async with (
            aiohttp.ClientSession(connector=api) as self._session,
            aiohttp.ClientSession(connector=model) as self._model,
        ):
            if webhook is None:
                await self.poll()
            else:
                await self.serve_webhook(webhook, secret)
            if self._tasks:
                await asyncio.gather(*self._tasks)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.trivial_bot")
    parser.add_argument("telegram")
    parser.add_argument("token")
    parser.add_argument("gemini")
    parser.add_argument("count", type=int)
    parser.add_argument("--webhook", type=int, metavar="PORT", help="webhook mode, on this port")
    parser.add_argument("--secret", default="bench-secret", help="the webhook's secret token")
    args = parser.parse_args()
    bot = TrivialBot(args.telegram, args.token, args.gemini, args.count)
    asyncio.run(bot.run(args.webhook, args.secret))


if __name__ == "__main__":
    main()
