"""What a newcomer meets in the sandbox (issue 18): who the admin is, every mode of the demo
model, the voice settings, sound, the new-message marker, full-size photos, unsent messages."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import Page, Route, expect

from telegemini.sandbox.runner import Sandbox
from tests.browser.test_sandbox_page import ALICE, CHAN, IVAN, LIHUA, LUCIA, as_user, bot_texts, say

pytestmark = pytest.mark.browser


def _png(path: Path, size: tuple[int, int], colour: str) -> Path:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    path.write_bytes(out.getvalue())
    return path


async def test_the_page_names_the_admin_whose_menu_has_the_admin_commands(page: Page):
    await as_user(page, ALICE)
    await expect(page.get_by_test_id("admin-note")).to_have_text(
        "Alice is the bot's admin (ADMIN_USER_IDS): their menu also lists the admin commands."
    )
    await expect(page.locator("[data-testid=user-select] option[value='1001']")).to_contain_text(
        "· admin"
    )
    await page.click("[data-testid=menu-button]")
    await expect(page.get_by_test_id("command").filter(has_text="/stats")).to_have_count(1)
    await page.keyboard.press("Escape")

    await as_user(page, IVAN)
    await page.click("[data-testid=menu-button]")
    await expect(page.get_by_test_id("command").filter(has_text="/id")).to_have_count(1)
    await expect(page.get_by_test_id("command").filter(has_text="/stats")).to_have_count(0)


async def test_start_tells_the_user_their_id(page: Page):
    await as_user(page, ALICE)
    await say(page, "/id")
    await expect(bot_texts(page).last).to_contain_text("Your Telegram user id: 1001")


async def test_a_new_message_below_the_visible_area_is_marked(page: Page, bot_api):
    await as_user(page, CHAN)
    for number in range(25):  # enough to scroll
        await bot_api("sendMessage", chat_id=CHAN, text=f"line {number}")
    await expect(bot_texts(page).filter(has_text="line 24")).to_have_count(1)
    await page.eval_on_selector("[data-testid=messages]", "list => { list.scrollTop = 0; }")
    marker = page.get_by_test_id("new-message")
    await expect(marker).to_be_hidden()

    await bot_api("sendMessage", chat_id=CHAN, text="the result of the button")

    await expect(marker).to_be_visible()
    await expect(marker).to_have_text("新訊息 ↓")
    await marker.click()
    await expect(marker).to_be_hidden()
    await expect(bot_texts(page).filter(has_text="the result of the button")).to_be_in_viewport()


async def test_a_photo_opens_full_size_on_click(page: Page, bot_api, tmp_path: Path):
    await as_user(page, LIHUA)
    chart = _png(tmp_path / "chart.png", (1400, 900), "steelblue")
    await bot_api("sendPhoto", files={"photo": ("chart.png", chart.read_bytes())}, chat_id=LIHUA)
    photo = page.locator(".msg[data-from=bot] img.photo").last
    await expect(photo).to_be_visible()

    await photo.click()

    full = page.get_by_test_id("lightbox-image")
    await expect(page.get_by_test_id("lightbox")).to_be_visible()
    shown = await full.evaluate("img => [img.naturalWidth, img.getBoundingClientRect().width]")
    assert shown[0] == 1400
    assert shown[1] > 600  # far larger than in the bubble (360 px at most)
    await page.get_by_test_id("lightbox").click()
    await expect(page.get_by_test_id("lightbox")).to_be_hidden()


async def test_a_message_sent_while_the_server_is_down_is_marked_and_can_be_retried(page: Page):
    await as_user(page, LUCIA)

    async def down(route: Route) -> None:
        await route.abort("connectionrefused")

    await page.route("**/sim/send", down)
    await say(page, "¿estás ahí?")
    pending = page.get_by_test_id("pending-message")
    await expect(pending).to_have_count(1)
    await expect(pending.get_by_test_id("not-sent")).to_have_text("⚠ No enviado")

    await page.unroute("**/sim/send", down)
    await pending.get_by_test_id("retry").click()

    await expect(pending).to_have_count(0)
    await expect(page.locator(".msg[data-from=user]").filter(has_text="¿estás ahí?")).to_have_count(
        1
    )
    await expect(bot_texts(page).last).to_contain_text("Dijiste:")


async def test_the_demo_translates_from_its_phrase_list(page: Page):
    await as_user(page, IVAN)
    await say(page, "/mode")
    await page.get_by_test_id("inline-button").filter(has_text="Перевод").click()
    await expect(page.get_by_test_id("inline-button").filter(has_text="✓ Перевод")).to_have_count(1)
    await say(page, "/language es")
    await expect(bot_texts(page).last).to_contain_text("Spanish")
    await say(page, "Спасибо")
    await expect(bot_texts(page).last).to_contain_text("Gracias")
    await expect(bot_texts(page).last).to_contain_text("traducción de demostración")


async def test_a_photo_with_make_it_comes_back_edited_without_the_tools_report(
    page: Page, sandbox: Sandbox, tmp_path: Path
):
    await as_user(page, ALICE, group=False)
    photo = _png(tmp_path / "red.png", (300, 200), "tomato")
    await page.set_input_files("[data-testid=file-input]", [str(photo)])
    await page.fill("[data-testid=caption]", "make it watercolour")
    await page.click("[data-testid=attach-send]")

    edited = page.locator(".msg[data-from=bot][data-kind=photo]")
    await expect(edited).to_have_count(1, timeout=20_000)
    await expect(bot_texts(page).filter(has_text="Here is your picture.")).to_have_count(1)
    await expect(bot_texts(page).filter(has_text="Done.")).to_have_count(0)
    image_calls = [c for c in sandbox.gemini.requests if c.meta.get("kind") == "image"]
    assert image_calls[-1].meta["input_images"] == 1


async def test_voice_replies_switch_in_settings_and_the_voices_are_described(page: Page):
    await as_user(page, CHAN)
    await say(page, "/lang")
    await page.get_by_test_id("inline-button").filter(has_text="English").click()
    await say(page, "/settings")
    settings = page.locator(".msg[data-from=bot]").filter(has_text="Settings").last
    await settings.get_by_test_id("inline-button").filter(has_text="Voice replies: on").click()

    await expect(
        settings.get_by_test_id("inline-button").filter(has_text="Voice replies: off")
    ).to_have_count(1)
    await expect(
        settings.get_by_test_id("inline-button").filter(has_text="Kore · firm")
    ).to_have_count(0)

    await settings.get_by_test_id("inline-button").filter(has_text="Voice: Kore").click()
    voices = settings.get_by_test_id("inline-button")
    await expect(voices.filter(has_text="✓ Kore · firm")).to_have_count(1)
    await expect(voices.filter(has_text="Puck · upbeat")).to_have_count(1)
    await expect(voices.filter(has_text="Voice replies")).to_have_count(0)


async def test_the_speaker_toggle_mutes_voice_notes_and_espeak_is_explained(
    page: Page, sandbox: Sandbox
):
    await as_user(page, ALICE)
    note = page.get_by_test_id("espeak-note")
    if sandbox.demo_media is not None and sandbox.demo_media.speaks:
        await expect(note).to_be_hidden()
    else:
        await expect(note).to_contain_text("sudo apt-get install espeak-ng")
    await say(page, "say something")
    voice = page.locator(".msg[data-from=bot] [data-testid=voice] audio").last
    await expect(voice).to_have_count(1)
    speaker = page.get_by_test_id("speaker")
    await expect(speaker).to_have_attribute("aria-pressed", "true")

    await speaker.click()

    await expect(speaker).to_have_attribute("aria-pressed", "false")
    assert await voice.evaluate("audio => audio.muted")
    await page.reload()
    await page.wait_for_selector("body[data-ready='1']")
    await expect(page.get_by_test_id("speaker")).to_have_attribute("aria-pressed", "false")
