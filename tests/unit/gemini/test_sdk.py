"""The SDK loads on first use, and its import does not stall the event loop (every chat)."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers.probe import run_probe

PROBE = """
import asyncio, sys, time
from telegemini.gemini.sdk import LazyClient, ready
from telegemini.settings import Settings

async def main():
    lazy = LazyClient(Settings(_env_file=None, google_api_key="k"))
    assert "google.genai" not in sys.modules and not lazy.loaded
    worst, done = 0.0, False
    async def ticker():
        nonlocal worst
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            worst, last = max(worst, now - last - 0.005), now
    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    client = await ready(lazy)
    client.aio  # made now, on the loop's thread
    took = time.perf_counter() - started
    done = True
    await task
    assert lazy.loaded and "google.genai" in sys.modules
    print(f"{took:.3f} {worst:.3f}")

asyncio.run(main())
"""


def test_the_first_use_imports_the_sdk_beside_the_loop_not_on_it():
    child = subprocess.run(  # noqa: S603 (our own interpreter, our own code)
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=False
    )
    assert child.returncode == 0, child.stderr[-2000:]
    took, worst = (float(x) for x in child.stdout.split())
    # On the loop's thread the import (about a second here) would be one stall of its length.
    assert worst < took / 3, f"loop stalled {worst:.3f} s of a {took:.3f} s first use"


WARM_PROBE = """
import asyncio, threading
from telegemini.gemini.sdk import LazyClient, ready
from telegemini.gemini.speech import GeminiSpeech
from telegemini.sandbox.fake_gemini import FakeGeminiServer
from telegemini.settings import Settings

async def main():
    server = FakeGeminiServer()
    await server.start()
    try:
        settings = Settings(_env_file=None, google_api_key="k", gemini_base_url=server.url)
        lazy = LazyClient(settings)
        await ready(lazy)
        from telegemini.gemini import client as patched
        built_beside = set(patched._MODELS)
        loop_thread = threading.get_ident()
        built_on_loop = []
        original = patched._ORIGINAL_CREATE_MODEL
        def watched(name, /, **fields):
            if threading.get_ident() == loop_thread:
                built_on_loop.append((name, fields.get("body")))
            return original(name, **fields)
        patched._ORIGINAL_CREATE_MODEL = watched
        speech = GeminiSpeech(lazy, model=settings.tts_model, timeout=30)
        said = await speech.synthesize("hello there", voice="Kore")
        assert said.data, "no audio"
        assert built_on_loop == [], built_on_loop
        assert set(patched._MODELS) == built_beside
    finally:
        await server.stop()
    print("ok")

asyncio.run(main())
"""


def test_the_first_call_finds_the_sdk_warm_its_models_built_beside_the_loop():
    """The SDK builds a pydantic model class for each request and answer type on its first
    call; built on the loop, with the client itself, that was one ~100 ms stall on the first
    voice reply. ``LazyClient.load`` builds them in its worker thread. Fails when google-genai
    starts building other models (the warm-up in ``gemini/client.py`` must follow it)."""
    run_probe(WARM_PROBE)


async def test_a_warm_up_that_fails_still_leaves_a_working_client(monkeypatch, caplog):
    """The warm-up reaches into the SDK's internals; if another SDK version moved them, speech,
    pictures and clips must still work (their first call then builds what it needs)."""
    from telegemini.gemini import client as patched
    from telegemini.gemini.sdk import LazyClient
    from telegemini.settings import Settings

    def moved(_client: object) -> None:
        raise AttributeError("module 'serializers' has no attribute 'create_model'")

    monkeypatch.setattr(patched, "warm_up", moved)
    lazy = LazyClient(Settings(_env_file=None, google_api_key="k"))
    await lazy.load()
    assert lazy.loaded
    assert lazy.aio.interactions is not None
    assert "could not warm up the Gemini SDK" in caplog.text
