"""Voice path: OGG/Opus encoding speed, the time from reply text to ``sendVoice`` for a 30-second
reply (zero-latency fake TTS, real aiogram and google-genai, the bot in its own process), and the
bot's longest event-loop stall meanwhile.

Encoding speed is seconds of speech encoded per CPU second, in this process. The fake TTS speaks
60 ms per character, so the 500-character answer becomes 30 s of 24 kHz PCM that the bot encodes
to OGG/Opus and uploads; the delay runs from the text reply's ``sendMessage`` to the
``sendVoice``, both as the fake Telegram received them (median of 5, after one warm-up).
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from bench.harness import BotProcess, Fakes
from bench.results import Figure, at_least, info
from bench.rig import Tally, fresh_users, stall_figure
from telegemini.media.audio import Pcm, encode_voice
from telegemini.sandbox.fake_gemini import ScriptedReply
from telegemini.sandbox.fake_telegram import FakeUser
from tests.helpers.audio import sine_pcm

SPEED_TARGET = 300.0  # × real time per CPU second
SENTENCE = "This sentence is part of a thirty second spoken answer. "
ANSWER = (SENTENCE * 9)[:500]  # 60 ms of fake speech per character: 30 s


def encoding_speed(seconds: float = 30.0, rounds: int = 5) -> float:
    pcm = Pcm(sine_pcm(seconds), 24_000)
    cpu = time.process_time()
    for _ in range(rounds):
        encode_voice(pcm)
    return seconds * rounds / (time.process_time() - cpu)


async def text_to_voice(rounds: int = 5) -> tuple[list[float], dict[str, Any] | None]:
    fakes = Fakes()
    await fakes.start()
    tally = Tally(fakes.telegram)
    delays: list[float] = []
    try:
        async with BotProcess(fakes, env={"VOICE_ENABLED": "true"}) as bot:
            users = fresh_users(rounds + 1)
            await one_voice_reply(fakes, tally, users[0])  # warm-up: first-use imports, caches
            for user in users[1:]:
                delays.append(await one_voice_reply(fakes, tally, user))
        return delays, bot.report
    finally:
        tally.close()
        await fakes.stop()


async def one_voice_reply(fakes: Fakes, tally: Tally, user: FakeUser) -> float:
    """Seconds from the text reply to the voice note, for one question."""
    texts, voices = tally.count("sendMessage"), tally.count("sendVoice")
    fakes.gemini.script.enqueue(ScriptedReply(text=ANSWER))
    fakes.telegram.send_text(user, "talk to me for thirty seconds")
    await tally.wait("sendMessage", texts + 1, timeout=30)
    await tally.wait("sendVoice", voices + 1, timeout=60)
    return tally.ok("sendVoice")[-1].at - tally.ok("sendMessage")[-1].at


async def main() -> list[Figure]:
    speed = encoding_speed()
    delays, report = await text_to_voice()
    ms = [d * 1000 for d in delays]
    figures = [
        at_least("OGG/Opus encoding speed", speed, "× real time", SPEED_TARGET, "per CPU second"),
        info(
            "reply text → sendVoice, 30 s reply, median",
            statistics.median(ms),
            "ms",
            f"max {max(ms):.0f} ms over {len(ms)}; zero-latency fake TTS",
        ),
        stall_figure("voice replies", report),
    ]
    for figure in figures:
        print(figure.line())
    return figures
