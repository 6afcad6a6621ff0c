from __future__ import annotations

import pytest

from telegemini.core.models import (
    Attachment,
    AttachmentKind,
    AudioPart,
    ChatKey,
    Mode,
    TextPart,
)
from telegemini.core.voice import VoiceConfig, audio_mime
from telegemini.errors import UpstreamBusy
from tests.helpers.world import World


class VoiceWorld(World):
    def __init__(self) -> None:
        super().__init__(
            voice_default=True,
            voice=VoiceConfig(max_input_seconds=60, tts_chunk_chars=100, max_note_seconds=0.25),
        )

    def voice_note(self, data: bytes, **extra: object) -> Attachment:
        self.files.files["v1"] = data
        return Attachment(AttachmentKind.VOICE, "v1", size=len(data), **extra)  # type: ignore[arg-type]


@pytest.fixture
def world() -> VoiceWorld:
    return VoiceWorld()


async def test_voice_goes_to_the_model_as_ogg_audio_and_comes_back_as_text_and_voice(world):
    world.model.enqueue("Hello **Ada**.")
    out = await world.send("", attachments=(world.voice_note(b"x" * 3000, duration=3),))

    [request] = world.model.history
    assert request.parts == [AudioPart(b"x" * 3000, "audio/ogg")]
    assert out.events == ["text", "voice"]
    assert out.texts == ["Hello **Ada**."]
    assert world.speech.requests == [("Hello Ada.", "Kore")]  # spoken without Markdown
    assert "record_voice" in out.activities
    transcript = (await world.store.load_conversation(request_key())).transcript
    assert transcript[0].text == "[voice message]"


def request_key() -> ChatKey:
    return ChatKey(7)


async def test_voice_off_sends_text_only(world):
    await world.set_prefs(voice_replies=False)
    out = await world.send("hi")
    assert out.events == ["text"]
    assert world.speech.requests == []


async def test_oversized_voice_is_refused_before_downloading(world):
    attachment = Attachment(AttachmentKind.VOICE, "big", size=21 * 1024 * 1024, duration=30)
    out = await world.send("", attachments=(attachment,))
    assert out.texts == ["That file is too large for me (the limit is 20 MB)."]
    assert world.files.fetched == []
    assert world.model.history == []


async def test_too_long_voice_is_refused_before_downloading(world):
    attachment = Attachment(AttachmentKind.VOICE, "long", size=1000, duration=61)
    out = await world.send("", attachments=(attachment,))
    assert out.texts == ["That recording is too long for me (the limit is 1 min)."]
    assert world.files.fetched == []


async def test_corrupt_audio_gets_a_clear_message(world):
    out = await world.send("", attachments=(world.voice_note(b"corrupt data"),))
    assert out.texts == ["I couldn't read that file: it seems to be empty or damaged."]
    assert world.model.history == []


async def test_video_notes_send_their_audio_track(world):
    world.files.files["vn"] = b"video-bytes"
    attachment = Attachment(AttachmentKind.VIDEO_NOTE, "vn", size=11, duration=2)
    await world.send("", attachments=(attachment,))
    assert world.model.history[0].parts == [AudioPart(b"audio-of:video-bytes", "audio/ogg")]


@pytest.mark.parametrize(
    ("mime", "name", "expected"),
    [
        ("audio/mpeg", "a.mp3", "audio/mp3"),
        ("audio/x-wav", "a.wav", "audio/wav"),
        ("audio/mp4", "a.m4a", "audio/m4a"),
        (None, "song.flac", "audio/flac"),
        ("application/pdf", "a.pdf", None),
    ],
)
def test_audio_files_keep_their_own_type(mime, name, expected):
    attachment = Attachment(AttachmentKind.DOCUMENT, "f", mime_type=mime, file_name=name)
    assert audio_mime(attachment) == expected


async def test_transcription_mode_is_stateless_and_silent(world):
    await world.set_prefs(mode=Mode.TRANSCRIPTION)
    world.model.enqueue("Language: English\n\nhello there")
    out = await world.send("", attachments=(world.voice_note(b"x" * 500),))
    [request] = world.model.history
    assert request.store is False
    assert request.previous_id is None
    assert "Transcribe" in request.system_instruction
    assert out.events == ["text"]  # a transcript is read, not listened to
    assert (await world.store.load_conversation(request_key())).head_id is None


async def test_transcription_mode_asks_for_audio_when_given_text(world):
    await world.set_prefs(mode=Mode.TRANSCRIPTION)
    out = await world.send("hello")
    assert "send me a voice message" in out.texts[0]
    assert world.model.history == []


async def test_translation_mode_translates_into_the_target_and_speaks_it(world):
    await world.set_prefs(mode=Mode.TRANSLATION, target_language="Spanish")
    world.model.enqueue("Hola, ¿cómo estás?")
    out = await world.send("Hello, how are you?")
    [request] = world.model.history
    assert "into Spanish" in request.system_instruction
    assert request.parts == [TextPart("Hello, how are you?")]
    assert request.store is False
    assert out.events == ["text", "voice"]
    assert world.speech.requests == [("Hola, ¿cómo estás?", "Kore")]


async def test_vocal_events_and_tone_are_spoken_but_never_shown(world):
    await world.set_prefs(expressive=True)
    world.model.enqueue("<tone: warm, amused> <laugh> That is funny. <sigh> Really.")
    out = await world.send("tell me a joke")
    instruction = world.model.history[0].system_instruction
    assert "expressive voice" in instruction
    assert "<laugh>" in instruction
    assert "[laughs]" not in instruction  # 3.8 reads square brackets as words
    assert out.texts == ["That is funny. Really."]
    assert world.speech.requests == [("<laugh> That is funny. <sigh> Really.", "Kore")]
    assert world.speech.styles == ["warm, amused"]


async def test_older_square_bracket_tags_become_events_and_style_never_words(world):
    await world.set_prefs(expressive=True)
    world.model.enqueue("[laughs] That is funny. [whispers] Really. [citation needed]")
    out = await world.send("tell me a joke")
    assert out.texts == ["That is funny. Really. [citation needed]"]
    [(spoken, _voice)] = world.speech.requests
    assert spoken.startswith("<laugh> That is funny.")
    assert "[" not in spoken
    assert "whispers" not in spoken
    assert world.speech.styles == ["whispers"]


async def test_long_replies_are_spoken_in_pieces_joined_into_notes(world):
    sentences = " ".join(f"Sentence number {n} is spoken." for n in range(20))
    world.model.enqueue(sentences)
    out = await world.send("talk a lot")
    spoken = [text for text, _ in world.speech.requests]
    assert all(len(piece) <= 100 for piece in spoken)
    assert " ".join(spoken) == sentences
    assert len(out.voices) >= 2  # over max_note_seconds: several notes
    assert b"".join(v.data for v in out.voices) == "".join(spoken).encode()


async def test_tts_failure_keeps_the_text_and_adds_a_short_note(world):
    world.speech.fail_with = UpstreamBusy("429", retry_after=5)
    world.model.enqueue("The answer.")
    out = await world.send("question")
    assert out.texts == [
        "The answer.",
        "(I couldn't record a voice reply this time; the text above is the full answer.)",
    ]
    assert out.voices == []


async def test_chosen_voice_is_used(world):
    await world.set_prefs(voice="Puck")
    await world.send("hi")
    assert world.speech.requests[0][1] == "Puck"
