"""Run the fake Gemini server in its own process, so a benchmark measures the bot, not the fake.

Prints ``ready <url>`` once listening; stops on SIGTERM or when stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from telegemini.sandbox.fake_gemini import FakeGeminiServer


async def serve(args: argparse.Namespace) -> None:
    server = FakeGeminiServer(tts_ms_per_char=args.tts_ms_per_char, tts_max_seconds=args.tts_max)
    server.latency = args.latency
    await server.start()
    print(f"ready {server.url}", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent goes away
    await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--tts-ms-per-char", type=float, default=60.0)
    parser.add_argument("--tts-max", type=float, default=30.0)
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
