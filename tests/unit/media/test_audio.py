from __future__ import annotations

import pytest

from telegemini.media.audio import (
    AudioError,
    Pcm,
    decode_to_pcm,
    encode_voice,
    is_ogg_opus,
    speech_to_voice,
)
from tests.helpers.audio import sine_pcm, voice_note, wav_bytes


def _assert_opus_mono(data: bytes, seconds: float) -> None:
    import av

    with av.open(__import__("io").BytesIO(data)) as container:
        stream = container.streams.audio[0]
        assert container.format.name == "ogg"
        assert stream.codec_context.name == "opus"
        assert stream.codec_context.layout.nb_channels == 1
    assert decode_to_pcm(data).duration == pytest.approx(seconds, abs=0.05)


def test_pcm_becomes_an_opus_voice_note_of_the_same_length():
    note = encode_voice(Pcm(sine_pcm(2.0), 24_000))
    assert is_ogg_opus(note.data)
    assert note.duration == pytest.approx(2.0)
    _assert_opus_mono(note.data, 2.0)


@pytest.mark.parametrize(
    ("payload", "mime"),
    [
        (sine_pcm(1.5), "audio/L16;codec=pcm;rate=24000"),
        (wav_bytes(1.5), "audio/wav"),
        (wav_bytes(1.5, rate=16_000), "audio/l16"),  # mislabelled: the RIFF header wins
        (voice_note(1.5), "audio/ogg"),
    ],
)
def test_every_tts_output_shape_becomes_a_voice_note(payload, mime):
    note = speech_to_voice(payload, mime_type=mime)
    assert note.duration == pytest.approx(1.5, abs=0.05)
    _assert_opus_mono(note.data, 1.5)


def test_pcm_rate_is_read_from_the_mime_type():
    note = speech_to_voice(sine_pcm(1.0, rate=16_000), mime_type="audio/L16;rate=16000")
    assert note.duration == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("garbage", [b"", b"OggS not really", b"\x00" * 10])
def test_corrupt_audio_is_a_clear_error(garbage):
    with pytest.raises(AudioError):
        decode_to_pcm(garbage)
