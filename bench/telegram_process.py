"""Run the fake Telegram Bot API in its own process, so a benchmark's CPU time is the client's.

``python -m bench.telegram_process [--chats N] [--first-chat ID]`` makes ``N`` private chats
known (ids ``ID`` … ``ID + N - 1``; the fake answers "chat not found" for any other), prints
``ready <url> <token>`` once listening, then reads commands on stdin, one a line:

- ``reset``: forget every call, message and chat action recorded so far (the fake keeps them
  all in memory) and make the chats known again; answers ``reset <calls> <failed>``, how many
  calls it forgot and how many of those it had answered with an error;
- ``cpu``: answers ``cpu <seconds>``, this process's CPU time so far.

Stops when stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from telegemini.sandbox.fake_telegram import FakeTelegramServer, FakeUser

FIRST_CHAT = 700_000_000


def add_chats(server: FakeTelegramServer, first: int, count: int) -> None:
    for chat_id in range(first, first + count):
        server.add_chat(FakeUser(id=chat_id, first_name=f"B{chat_id - first}"))


async def serve(args: argparse.Namespace) -> None:
    server = FakeTelegramServer()
    await server.start()
    add_chats(server, args.first_chat, args.chats)
    print(f"ready {server.url} {server.token}", flush=True)
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):  # "" once stdin closes
        command = line.strip()
        if command == "reset":
            calls = server.calls
            failed = sum(1 for call in calls if not call.ok)
            server.reset()
            add_chats(server, args.first_chat, args.chats)
            print(f"reset {len(calls)} {failed}", flush=True)
        elif command == "cpu":
            print(f"cpu {time.process_time():.6f}", flush=True)
        elif command:
            print(f"unknown {command}", flush=True)
    await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=1)
    parser.add_argument("--first-chat", type=int, default=FIRST_CHAT)
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
