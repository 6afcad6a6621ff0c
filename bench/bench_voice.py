"""Voice path: OGG/Opus encoding speed, the time from reply text to sendVoice for a 30-second
reply (zero-latency fake TTS, real PTB and google-genai), and event-loop stalls meanwhile."""

from __future__ import annotations

import statistics
import time

from bench.common import LoopLag, Rig, rig
from telegemini.media.audio import Pcm, encode_voice
from telegemini.sandbox.fake_telegram import FakeUser
from tests.helpers.audio import sine_pcm


def encoding_speed(seconds: float = 30.0, rounds: int = 5) -> float:
    pcm = Pcm(sine_pcm(seconds), 24_000)
    cpu = time.process_time()
    for _ in range(rounds):
        encode_voice(pcm)
    return seconds * rounds / (time.process_time() - cpu)


async def text_to_voice(rounds: int = 5) -> tuple[list[float], float]:
    # 60 ms of fake speech per character: a 500-character answer speaks for 30 s.
    sentence = "This sentence is part of a thirty second spoken answer. "
    answer = (sentence * 9)[:500]
    delays: list[float] = []
    gemini_args = ("--tts-ms-per-char", "60", "--tts-max", "30")
    async with rig(gemini_args=gemini_args, voice_enabled=True) as r:
        await one_voice_reply(r, 8999, answer)  # warm-up: first-use imports and caches
        async with LoopLag() as lag:
            for n in range(rounds):
                delays.append(await one_voice_reply(r, 9000 + n, answer))
    return delays, lag.worst


async def one_voice_reply(r: Rig, user_id: int, answer: str) -> float:
    """Seconds from the text reply to the voice note, for one question."""
    user = FakeUser(id=user_id, first_name="U")
    await r.script(answer)
    r.telegram.send_text(user, "talk to me for thirty seconds")
    [text_call] = await r.telegram.wait_for_calls("sendMessage", 1, chat_id=user.id)
    [voice_call] = await r.telegram.wait_for_calls("sendVoice", 1, chat_id=user.id, timeout=30)
    return voice_call.at - text_call.at


async def main() -> None:
    speed = encoding_speed()
    print(f"opus encoding speed: {speed:,.0f}x real time per CPU second (target >= 300x)")
    delays, worst = await text_to_voice()
    median, most = statistics.median(delays) * 1000, max(delays) * 1000
    print(f"reply text -> sendVoice, 30 s reply: median {median:.0f} ms, max {most:.0f} ms")
    print(f"longest event-loop stall meanwhile: {worst * 1000:.1f} ms (target <= 20 ms)")
