"""The least a bot can do per text update, to measure the fakes' own ceiling.

``python -m bench.trivial_bot TELEGRAM_URL TOKEN GEMINI_URL COUNT``: long-polls the fake
Telegram and, for each update, makes the calls the real bot makes (``sendChatAction``, a
streamed Interactions ``create`` on the fake Gemini read to its end, ``sendMessage``), with no
storage, no rate limits and no formatting. It prints ``ready`` once polling, and exits after
COUNT replies. Whatever rate it reaches is what the fakes can serve on this machine.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import aiohttp


class TrivialBot:
    def __init__(self, telegram: str, token: str, gemini: str) -> None:
        self._api = f"{telegram}/bot{token}"
        self._gemini = f"{gemini}/v1beta/interactions"
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()
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
        assert self._session is not None
        headers = {"x-goog-api-key": "bench-key"}
        async with self._session.post(self._gemini, json=body, headers=headers) as response:
            stream = await response.read()
        text = "You said: " + message["text"] if b"interaction.completed" in stream else "?"
        await self.call("sendMessage", chat_id=chat, text=text)
        self.replied += 1

    async def run(self, count: int) -> None:
        connector = aiohttp.TCPConnector(limit=200)
        async with aiohttp.ClientSession(connector=connector) as self._session:
            await self.call("deleteWebhook")
            print("ready", flush=True)
            offset = 0
            while self.replied < count:
                updates = await self.call("getUpdates", offset=offset, timeout=1, limit=100)
                for update in updates:
                    offset = max(offset, update["update_id"] + 1)
                    task = asyncio.create_task(self.answer(update))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
            if self._tasks:
                await asyncio.gather(*self._tasks)


def main() -> None:
    telegram, token, gemini, count = sys.argv[1:5]
    asyncio.run(TrivialBot(telegram, token, gemini).run(int(count)))


if __name__ == "__main__":
    main()
