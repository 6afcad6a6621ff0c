"""Clips from Gemini Omni end to end, through the real aiogram and google-genai SDK: the fake
Gemini films in the background on its own (sped-up) clock and the bot polls it."""

from __future__ import annotations

import base64
import io

import av
import pytest

from tests.helpers.audio import voice_note

POLL = 0.05  # the bot looks at the clip this often (VIDEO_POLL_INTERVAL)


@pytest.fixture
def fast_clips(gemini):
    """20 s of the fake's own time pass in about 1 s."""
    gemini.video_seconds = 20.0
    gemini.video_speed = 20.0
    return gemini


def _video_requests(gemini) -> list[dict]:
    return [b for b in gemini.interaction_requests() if "video" in b.get("response_modalities", [])]


def _references(body: dict) -> list[bytes]:
    return [
        base64.b64decode(block["data"])
        for step in body["input"]
        for block in step.get("content", [])
        if block.get("type") == "image"
    ]


def _shape(data: bytes) -> tuple[int, int, float]:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        assert container.format.name.startswith("mov,mp4")
        return stream.width, stream.height, container.duration / av.time_base


def _texts(telegram, user_id) -> list[str]:
    return [m.get("text", "") for m in telegram.bot_messages(user_id)]


async def _usage(telegram, alice) -> str:
    before = len(telegram.bot_messages(alice.id))
    telegram.send_text(alice, "/usage")
    await telegram.wait_for_bot_messages(alice.id, before + 1)
    return telegram.bot_messages(alice.id)[-1]["text"]


async def test_animate_sends_the_image_as_reference_and_delivers_a_matching_mp4(
    start_bot, telegram, gemini, fast_clips, alice
):
    await start_bot("polling", image_timeout=5.0, video_poll_interval=POLL)
    telegram.send_text(alice, "/image 9:16 a red lighthouse")
    [photo] = await telegram.wait_for_calls("sendPhoto", 1)
    [message] = [m for m in telegram.bot_messages(alice.id) if m.get("photo")]
    buttons = {
        b["text"]: b["callback_data"]
        for row in message["reply_markup"]["inline_keyboard"]
        for b in row
    }
    assert list(buttons)[:3] == ["🔄 New variant", "⬆️ HD", "🎬 Animate"]

    telegram.press_button(alice, message, buttons["🎬 Animate"])
    [sent] = await telegram.wait_for_calls("sendVideo", 1, timeout=15)

    [request] = _video_requests(gemini)
    assert request["model"] == "gemini-omni-1.2-flash"
    assert request["background"] is True
    assert request["response_format"]["aspect_ratio"] == "9:16"
    assert request["response_format"]["duration"] == "8s"
    assert _references(request) == [photo.upload("photo").data]
    width, height, seconds = _shape(sent.upload("video").data)
    assert (width, height) == (180, 320)  # 9:16, as asked
    assert seconds == pytest.approx(8.0, abs=0.2)
    assert [int(sent.params[k]) for k in ("width", "height", "duration")] == [180, 320, 8]
    assert sent.params["caption"] == "🎬 a red lighthouse"
    # the status message made way for the clip
    assert not any(t.startswith("🎬 Filming") for t in _texts(telegram, alice.id))


async def test_video_command_with_a_ratio_and_length(
    start_bot, telegram, gemini, fast_clips, alice
):
    await start_bot("webhook", video_poll_interval=POLL)
    telegram.send_text(alice, "/video 16:9 4s green waves at dusk")
    [sent] = await telegram.wait_for_calls("sendVideo", 1, timeout=15)
    [request] = _video_requests(gemini)
    assert request["response_format"]["aspect_ratio"] == "16:9"
    assert request["response_format"]["duration"] == "4s"
    assert _references(request) == []
    width, height, seconds = _shape(sent.upload("video").data)
    assert (width, height) == (320, 180)
    assert seconds == pytest.approx(4.0, abs=0.2)
    assert "Videos: ▓▓▓▓▓▓▓▓▓▓ 0 of 1 left" in await _usage(telegram, alice)


@pytest.mark.parametrize("args", ["", "1:1 a cat", "20s a cat", "2s a cat", "9:16 8s"])
async def test_anything_the_model_does_not_take_gets_the_usage_text(
    start_bot, telegram, gemini, alice, args
):
    await start_bot("polling", video_poll_interval=POLL)
    telegram.send_text(alice, f"/video {args}")
    [reply] = await telegram.wait_for_bot_messages(alice.id, 1)
    assert reply["text"].startswith("Describe the clip after the command")
    assert _video_requests(gemini) == []


async def test_progress_is_shown_while_the_fake_takes_20_seconds(
    start_bot, telegram, gemini, alice
):
    gemini.video_seconds, gemini.video_speed = 20.0, 5.0  # 4 s of real time
    await start_bot("polling", video_poll_interval=0.2)
    telegram.send_text(alice, "/video a blue kite")
    await telegram.wait_for_calls("sendVideo", 1, timeout=15)
    shown = [c.params["text"] for c in telegram.calls_of("editMessageText")]
    # Edits are paced at Telegram's 1 a second per chat; the seconds count up, never frozen.
    assert len(set(shown)) >= 3
    assert all(text.startswith("🎬 Filming… ") for text in shown)
    polls = [r for r in gemini.requests if r.method == "GET" and "/interactions/" in r.path]
    assert [r.meta["status"] for r in polls][-1] == "completed"
    assert {r.meta["status"] for r in polls[:-1]} == {"in_progress"}
    assert "record_video" in [c.params["action"] for c in telegram.calls_of("sendChatAction")]


async def test_a_restart_during_filming_still_delivers_once(
    start_bot, telegram, gemini, alice, tmp_path
):
    gemini.video_seconds, gemini.video_speed = 20.0, 10.0
    database = f"sqlite+aiosqlite:///{tmp_path / 'video.db'}"
    first = await start_bot("polling", database_url=database, video_poll_interval=POLL)
    telegram.send_text(alice, "/video a yellow balloon")
    await gemini.wait_for_requests(1, match="/interactions/", timeout=5)  # polling began
    await first.stop()
    assert telegram.calls_of("sendVideo") == []

    await start_bot("polling", database_url=database, video_poll_interval=POLL)
    await telegram.wait_for_calls("sendVideo", 1, timeout=15)
    telegram.send_text(alice, "/usage")
    await telegram.wait_until(
        lambda: any("Videos:" in t for t in _texts(telegram, alice.id)),
        timeout=5,
        what="the usage after the clip",
    )
    assert len(telegram.calls_of("sendVideo")) == 1
    assert len(_video_requests(gemini)) == 1  # resumed, not asked again
    assert "0 of 1 left" in next(t for t in _texts(telegram, alice.id) if "Videos:" in t)


async def test_a_blocked_clip_is_explained_and_refunded(
    start_bot, telegram, gemini, fast_clips, alice
):
    await start_bot(
        "polling", video_poll_interval=POLL, rates={"videos": {"per_minute": 60, "burst": 5}}
    )
    telegram.send_text(alice, "/video [[blocked]] something forbidden")
    await telegram.wait_until(
        lambda: any("safety rules blocked it" in t for t in _texts(telegram, alice.id)),
        timeout=10,
        what="the refusal in place of the status",
    )
    assert telegram.calls_of("sendVideo") == []
    assert "Videos: ░░░░░░░░░░ 1 of 1 left" in await _usage(telegram, alice)
    # the refund means the day's one clip is still there
    telegram.send_text(alice, "/video a white swan")
    await telegram.wait_for_calls("sendVideo", 1, timeout=15)


async def test_a_voice_note_in_image_mode_becomes_the_pictures_description(
    start_bot, telegram, gemini, alice
):
    from telegemini.sandbox.fake_gemini import ScriptedReply

    await start_bot("polling", image_timeout=5.0)
    telegram.send_text(alice, "/mode")
    [menu] = await telegram.wait_for_bot_messages(alice.id, 1)
    telegram.press_button(alice, menu, "set:md:image")
    await telegram.wait_for_calls("answerCallbackQuery")
    gemini.script.enqueue(ScriptedReply(text="a watercolour fox asleep in the snow"))
    ogg = voice_note(1.0)
    telegram.send_voice(alice, ogg, duration=1)
    [photo] = await telegram.wait_for_calls("sendPhoto", 1)
    condense, image = gemini.interaction_requests()
    audio = [b for s in condense["input"] for b in s.get("content", []) if b["type"] == "audio"]
    assert base64.b64decode(audio[0]["data"]) == ogg
    assert image["input"][0]["content"][0]["text"] == "a watercolour fox asleep in the snow"
    assert photo.params["caption"].startswith("🎨 a watercolour fox asleep in the snow")


async def test_without_the_video_model_video_is_hidden_not_failing(
    start_bot, telegram, gemini, alice
):
    gemini.retired_models.add("gemini-omni-1.2-flash")
    await start_bot("polling", video_poll_interval=POLL)
    menus = telegram.calls_of("setMyCommands")
    assert menus
    assert not any("video" in str(c.params.get("commands")) for c in menus)
    telegram.send_text(alice, "/help")
    [help_text] = await telegram.wait_for_bot_messages(alice.id, 1)
    assert "/video" not in help_text["text"]
    assert "/image" in help_text["text"]
    telegram.send_text(alice, "/video a red balloon")
    answer = (await telegram.wait_for_bot_messages(alice.id, 2))[1]
    assert answer["text"] == "Video clips are not available on this bot right now."
    assert not _video_requests(gemini)  # nothing asked of a model that is not there
