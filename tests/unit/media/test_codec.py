"""The audio codec: conversions and PyAV's import happen beside the event loop, and a file PyAV
cannot read is reported as corrupt media."""

from __future__ import annotations

import pytest

from telegemini.core.models import Speech
from telegemini.errors import CorruptMedia
from telegemini.media.codec import PyAvAudioCodec
from tests.helpers.audio import sine_pcm
from tests.helpers.probe import run_probe

IMPORT_PROBE = """
import asyncio, math, struct, sys, threading
from telegemini.core.models import Speech
from telegemini.media.codec import PyAvAudioCodec

importers = []

class Watch:
    def find_spec(self, name, path=None, target=None):
        if name == "av":
            importers.append(threading.get_ident())
        return None

async def main():
    assert "av" not in sys.modules
    sys.meta_path.insert(0, Watch())
    tone = struct.pack("<24000h", *(int(8000 * math.sin(i / 10)) for i in range(24000)))
    speech = Speech(tone, "audio/L16;rate=24000", 24_000)
    [note] = await PyAvAudioCodec().voice_notes([speech], max_seconds=60)
    assert note.duration > 0.9
    assert importers and threading.get_ident() not in importers, "PyAV imported on the loop"
    print("ok")

asyncio.run(main())
"""


def test_pyav_is_imported_in_the_worker_thread_not_on_the_loop():
    # On the loop's thread the import held every chat up for ~40 ms on the first voice reply.
    run_probe(IMPORT_PROBE)


async def test_speech_becomes_voice_notes():
    speech = Speech(sine_pcm(2.0), "audio/L16;rate=24000", 24_000)
    [note] = await PyAvAudioCodec().voice_notes([speech], max_seconds=60)
    assert note.data[:4] == b"OggS"
    assert note.duration == pytest.approx(2.0, abs=0.05)


async def test_unreadable_audio_is_corrupt_media():
    with pytest.raises(CorruptMedia):
        await PyAvAudioCodec().duration(b"this is not audio at all")
