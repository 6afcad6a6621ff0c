"""Clips on the sandbox page (issue 20): ``/video`` films on the fake model's clock, the bot keeps
a status message current under the "recording a video" chat action, then sends the MP4 with
``sendVideo``; the page plays it inline, at its own size, with its caption.

Alice's private chat: the page tests before this one only count what they add to it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.async_api import Page, expect

from telegemini.sandbox.runner import Sandbox
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_sandbox_page import ALICE, as_user, bot_texts, say

pytestmark = pytest.mark.browser


@pytest.fixture
def quick_films(sandbox: Sandbox) -> Iterator[None]:
    """The fake's clock five times faster: a clip (20 s of its time) takes 4 s of the test's."""
    gemini = sandbox.gemini
    assert gemini is not None
    speed = gemini.video_speed
    gemini.video_speed = 5.0
    try:
        yield
    finally:
        gemini.video_speed = speed


@pytest.mark.usefixtures("quick_films")
async def test_a_clip_plays_inline_with_its_caption(page: Page):
    await as_user(page, ALICE)
    await say(page, "/video 16:9 4s a red balloon")

    status = bot_texts(page).filter(has_text="🎬 Filming…")
    await expect(status).to_have_count(1)
    await expect(page.get_by_test_id("chat-status")).to_have_text("recording a video…")
    # The bot edits its status as time goes by; the edit leaves the chat action showing.
    await expect(status).to_contain_text("edited")
    await expect(page.get_by_test_id("chat-status")).to_have_text("recording a video…")

    clip = page.locator(".msg[data-from=bot][data-kind=video]")
    await expect(clip).to_have_count(1, timeout=20_000)
    await expect(clip.get_by_test_id("text")).to_contain_text("🎬 a red balloon")
    await expect(clip.get_by_test_id("video-duration")).to_have_text("0:04")
    await expect(status).to_have_count(0)  # the clip took the status message's place
    await expect(page.get_by_test_id("chat-status")).to_have_text("bot")

    video = clip.locator("video")
    await expect(video).to_have_attribute("controls", "")
    await expect(video).to_have_attribute("playsinline", "")
    box = await video.bounding_box()
    assert box is not None
    assert (round(box["width"]), round(box["height"])) == (320, 180)  # sendVideo's width/height

    handle = await video.element_handle()
    await page.wait_for_function("v => v.readyState >= 1", arg=handle)  # metadata read
    width, height, seconds = await video.evaluate("v => [v.videoWidth, v.videoHeight, v.duration]")
    assert (width, height) == (320, 180)
    assert seconds == pytest.approx(4.0, abs=0.2)
    await video.evaluate("v => { v.muted = true; return v.play(); }")
    await page.wait_for_function("v => v.currentTime > 0 && !v.error", arg=handle)
    # Seeking asks for a byte range, which the page's file route answers.
    await video.evaluate("v => { v.currentTime = 3; }")
    await page.wait_for_function("v => !v.seeking && v.currentTime >= 3", arg=handle)
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "sandbox-video.png"))
