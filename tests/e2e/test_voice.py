"""Voice in, voice out, and the modes, through the real aiogram and google-genai SDK."""

from __future__ import annotations

import base64
import io

import av
import pytest

from telegemini.sandbox.fake_gemini import ScriptedReply, speech_seconds
from tests.helpers.audio import voice_note, wav_bytes

MB = 1024 * 1024


@pytest.fixture(params=["polling", "webhook"])
async def voice_bot(request, start_bot):
    return await start_bot(request.param, voice_enabled=True)


def _audio_blocks(body: dict) -> list[dict]:
    return [
        block
        for step in body["input"]
        for block in step.get("content", [])
        if block.get("type") == "audio"
    ]


def spoken(body: dict) -> str:
    """The transcript a TTS request asks to be spoken (the 3.8 shape: text blocks in one step)."""
    [step] = body["input"]
    return "".join(block["text"] for block in step["content"] if block["type"] == "text")


def _decode(data: bytes) -> tuple[str, str, int, float]:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        context = stream.codec_context
        return container.format.name, context.name, context.layout.nb_channels, samples / 48_000


async def test_voice_note_reaches_gemini_byte_identical_and_is_answered_by_voice(
    voice_bot, telegram, gemini, alice
):
    ogg = voice_note(2.0)
    telegram.send_voice(alice, ogg, duration=2)
    text, voice = await telegram.wait_for_bot_messages(alice.id, 2)

    [chat_request, tts_request] = gemini.interaction_requests()
    [block] = _audio_blocks(chat_request)
    assert block["mime_type"] == "audio/ogg"
    assert base64.b64decode(block["data"]) == ogg
    assert text["text"].startswith("You said: [audio audio/ogg")
    assert tts_request["model"] == "gemini-3.8-flash-lite-tts"
    assert tts_request["generation_config"]["speech_config"] == [{"voice": "Kore"}]

    [send_voice] = telegram.calls_of("sendVoice")
    upload = send_voice.upload("voice").data
    fmt, codec, channels, seconds = _decode(upload)
    assert (fmt, codec, channels) == ("ogg", "opus", 1)
    # the fake speaks 60 ms per character of the text it was given
    assert seconds == pytest.approx(speech_seconds(spoken(tts_request)), abs=0.05)
    assert int(send_voice.params["duration"]) == max(1, round(seconds))
    assert "voice" in voice
    actions = [c.params["action"] for c in telegram.calls_of("sendChatAction")]
    assert "typing" in actions
    assert "record_voice" in actions


async def test_wav_from_the_tts_model_is_handled(start_bot, telegram, gemini, alice):
    gemini.tts_format = "wav"
    await start_bot("polling", voice_enabled=True)
    telegram.send_text(alice, "say something")
    _, voice = await telegram.wait_for_bot_messages(alice.id, 2)
    upload = telegram.calls_of("sendVoice")[0].upload("voice").data
    assert _decode(upload)[:3] == ("ogg", "opus", 1)
    assert voice["voice"]["duration"] >= 1


async def test_voice_off_stops_voice_replies(voice_bot, telegram, alice):
    telegram.send_text(alice, "/voice off")
    await telegram.wait_for_bot_messages(alice.id, 1)
    telegram.send_text(alice, "hello")
    messages = await telegram.wait_for_bot_messages(alice.id, 2)
    assert messages[0]["text"] == "Voice replies are off."
    assert messages[1]["text"] == "You said: hello"
    assert telegram.calls_of("sendVoice") == []


async def test_audio_files_keep_their_type(voice_bot, telegram, gemini, alice):
    wav = wav_bytes(1.0)
    telegram.send_audio(alice, wav, duration=1, mime_type="audio/x-wav", file_name="memo.wav")
    await telegram.wait_for_bot_messages(alice.id, 2)
    [block] = _audio_blocks(gemini.interaction_requests()[0])
    assert block["mime_type"] == "audio/wav"
    assert base64.b64decode(block["data"]) == wav


async def test_video_notes_send_their_audio(voice_bot, telegram, gemini, alice):
    telegram.send_video_note(alice, voice_note(1.0), duration=1)
    await telegram.wait_for_bot_messages(alice.id, 2)
    [block] = _audio_blocks(gemini.interaction_requests()[0])
    assert block["mime_type"] == "audio/ogg"
    assert base64.b64decode(block["data"])[:4] == b"OggS"


async def test_oversized_voice_is_refused_without_download(voice_bot, telegram, gemini, alice):
    telegram.send_voice(alice, b"tiny", duration=30, declared_size=25 * MB)
    [message] = await telegram.wait_for_bot_messages(alice.id, 1)
    assert message["text"] == "That file is too large for me (the limit is 20 MB)."
    assert telegram.calls_of("getFile") == []
    assert gemini.interaction_requests() == []


async def test_too_long_voice_is_refused(voice_bot, telegram, alice):
    telegram.send_voice(alice, voice_note(0.5), duration=3600)
    [message] = await telegram.wait_for_bot_messages(alice.id, 1)
    assert message["text"] == "That recording is too long for me (the limit is 10 min)."


async def test_corrupt_voice_gets_a_clear_message(voice_bot, telegram, gemini, alice):
    telegram.send_voice(alice, b"OggS this is not audio at all", duration=2)
    [message] = await telegram.wait_for_bot_messages(alice.id, 1)
    assert message["text"] == "I couldn't read that file: it seems to be empty or damaged."
    assert gemini.interaction_requests() == []


async def test_tts_failure_still_leaves_the_text_reply(voice_bot, telegram, gemini, alice):
    # The reply carries a magic token, so the speech request made from it fails with a 500.
    gemini.script.enqueue(ScriptedReply(text="The full answer. [[fail:500]]"))
    telegram.send_text(alice, "hello")
    text, note = await telegram.wait_for_bot_messages(alice.id, 2, timeout=10)
    assert text["text"].startswith("The full answer.")
    assert note["text"] == (
        "(I couldn't record a voice reply this time; the text above is the full answer.)"
    )
    assert telegram.calls_of("sendVoice") == []
    assert len(gemini.interaction_requests()) == 1 + 3  # the answer, then 3 speech attempts


async def test_transcription_mode(voice_bot, telegram, gemini, alice):
    telegram.send_text(alice, "/mode")
    [menu] = await telegram.wait_for_bot_messages(alice.id, 1)
    telegram.press_button(alice, menu, "set:md:transcription")
    await telegram.wait_for_calls("answerCallbackQuery")
    [menu] = telegram.bot_messages(alice.id)
    assert menu["text"].startswith("Mode: Transcription.")

    telegram.send_voice(alice, voice_note(1.0), duration=1)
    messages = await telegram.wait_for_bot_messages(alice.id, 2)
    [request] = gemini.interaction_requests()
    assert request["store"] is False
    assert "previous_interaction_id" not in request
    assert "Transcribe" in request["system_instruction"]
    assert messages[1]["text"].startswith("You said: [audio audio/ogg")
    assert telegram.calls_of("sendVoice") == []  # a transcript is read, not listened to


async def test_translation_mode_speaks_the_translation(voice_bot, telegram, gemini, alice):
    telegram.send_text(alice, "/language es")
    await telegram.wait_for_bot_messages(alice.id, 1)
    telegram.send_text(alice, "/mode")
    menu = (await telegram.wait_for_bot_messages(alice.id, 2))[1]
    telegram.press_button(alice, menu, "set:md:translation")
    await telegram.wait_for_calls("answerCallbackQuery")
    telegram.send_text(alice, "good morning")
    messages = await telegram.wait_for_bot_messages(alice.id, 4)

    assert messages[0]["text"] == "Translation mode will translate into Spanish."
    chat_request = gemini.interaction_requests()[0]
    assert "into Spanish" in chat_request["system_instruction"]
    assert messages[2]["text"] == "You said: good morning"
    assert "voice" in messages[3]
    tts = gemini.interaction_requests()[1]
    assert spoken(tts) == "You said: good morning"


async def test_voice_picker_changes_the_voice(voice_bot, telegram, gemini, alice):
    telegram.send_text(alice, "/voice")
    [picker] = await telegram.wait_for_bot_messages(alice.id, 1)
    datas = [b["callback_data"] for row in picker["reply_markup"]["inline_keyboard"] for b in row]
    assert "set:vn:Puck" in datas
    assert all(len(d.encode()) <= 64 for d in datas)
    telegram.press_button(alice, picker, "set:vn:Puck")
    await telegram.wait_for_calls("answerCallbackQuery")
    telegram.send_text(alice, "hi")
    await telegram.wait_for_bot_messages(alice.id, 3)
    assert gemini.interaction_requests()[-1]["generation_config"]["speech_config"] == [
        {"voice": "Puck"}
    ]


async def test_forged_button_changes_nothing(voice_bot, telegram, alice):
    telegram.send_text(alice, "/mode")
    [menu] = await telegram.wait_for_bot_messages(alice.id, 1)
    telegram.inject_update(
        {
            "callback_query": {
                "id": "forged-1",
                "from": {"id": alice.id, "is_bot": False, "first_name": "Alice"},
                "chat_instance": "x",
                "data": "set:md:superuser",
                "message": menu,
            }
        }
    )
    await telegram.wait_for_calls("answerCallbackQuery")
    [answer] = telegram.calls_of("answerCallbackQuery")
    assert answer.params.get("text") == "This button is no longer valid."
    assert telegram.calls_of("editMessageText") == []


async def test_settings_shows_everything_in_the_users_language(voice_bot, telegram):
    from telegemini.sandbox.fake_telegram import FakeUser

    user = FakeUser(id=2222, first_name="Иван", language_code="ru")
    telegram.send_text(user, "/settings")
    [screen] = await telegram.wait_for_bot_messages(user.id, 1)
    assert screen["text"].startswith("Настройки")
    assert "Голосовые ответы: вкл" in screen["text"]
    telegram.press_button(user, screen, "set:ui:menu")
    await telegram.wait_for_calls("editMessageText")
    telegram.press_button(user, telegram.bot_messages(user.id)[0], "set:ui:en")
    await telegram.wait_until(
        lambda: telegram.bot_messages(user.id)[0]["text"] == "Language of the bot's messages:",
        timeout=5,
        what="the screen switched to English",
    )


async def test_a_download_that_fails_once_is_retried(start_bot, telegram, gemini, alice):
    await start_bot("polling")
    telegram.fail_next("getFile", status=502, description="Bad Gateway")
    telegram.send_voice(alice, voice_note(1.0), duration=1)
    [answer] = await telegram.wait_for_bot_messages(alice.id, 1)
    assert answer["text"].startswith("You said: [audio audio/ogg")
    assert [c.status for c in telegram.calls_of("getFile")] == [502, 200]


@pytest.mark.parametrize(
    ("status", "description"),
    [(502, "Bad Gateway"), (400, "Bad Request: file is temporarily unavailable")],
)
async def test_a_file_telegram_will_not_hand_over_is_asked_for_again(
    start_bot, telegram, gemini, alice, status, description
):
    await start_bot("polling")
    telegram.fail_next("getFile", status=status, description=description, times=4)
    telegram.send_voice(alice, voice_note(1.0), duration=1)
    [answer] = await telegram.wait_for_bot_messages(alice.id, 1, timeout=10)  # after retries
    assert answer["text"] == (
        "I couldn't fetch your file from Telegram just now. Please send it again."
    )
    assert gemini.interaction_requests() == []


async def test_a_retired_speech_model_is_reported_to_the_admins(start_bot, telegram, gemini, alice):
    from telegemini.sandbox.fake_telegram import FakeUser

    admin = FakeUser(id=4242, first_name="Root", username="root", language_code="en")
    await start_bot("polling", voice_enabled=True, admin_user_ids=[admin.id])
    telegram.send_text(admin, "/voice off")
    await telegram.wait_for_bot_messages(admin.id, 1)
    gemini.retired_models.add("gemini-3.8-flash-lite-tts")

    telegram.send_text(alice, "say something")
    text, notice = await telegram.wait_for_bot_messages(alice.id, 2)
    assert text["text"] == "You said: say something"  # the answer itself is not lost
    assert notice["text"].startswith("This bot is misconfigured right now")
    alert = (await telegram.wait_for_bot_messages(admin.id, 2))[1]
    assert "TTS_MODEL=gemini-3.8-flash-lite-tts does not exist" in alert["text"]


async def test_expressive_replies_use_the_3_8_speech_form(voice_bot, telegram, gemini, alice):
    telegram.send_text(alice, "/settings")
    [screen] = await telegram.wait_for_bot_messages(alice.id, 1)
    telegram.press_button(alice, screen, "set:ex:on")
    await telegram.wait_for_calls("answerCallbackQuery")
    gemini.script.enqueue(ScriptedReply(text="<tone: warm, amused> <laugh> That is a good one."))
    telegram.send_text(alice, "tell me a joke")
    await telegram.wait_until(
        lambda: [m for m in telegram.bot_messages(alice.id) if "voice" in m],
        timeout=10,
        what="the voice reply",
    )
    texts = [m.get("text", "") for m in telegram.bot_messages(alice.id)]
    assert "That is a good one." in texts  # tags never shown
    assert not any("<" in text or "tone" in text for text in texts[1:])
    chat, tts = gemini.interaction_requests()[-2:]
    assert "<laugh>" in chat["system_instruction"]
    [block] = tts["input"][0]["content"]
    assert block["text"] == "<laugh> That is a good one."
    assert block["annotations"] == [{"type": "speech_metadata", "style": "warm, amused"}]
    assert tts["generation_config"]["speech_config"] == [{"voice": "Kore"}]
    [tts_record] = [r for r in gemini.requests if r.meta.get("kind") == "audio"]
    assert "read_aloud" not in tts_record.meta  # nothing the 3.8 model would say as words
