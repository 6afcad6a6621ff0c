"""The sandbox chat page in a real browser, against the real bot and the demo model.

Each test speaks as a different simulated user (or in the group), so the shared sandbox's chats
do not disturb one another. Nothing waits a fixed time: Playwright's expectations wait for what
the page shows.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import Page, expect

from telegemini.sandbox.people import GROUP
from telegemini.sandbox.runner import Sandbox
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

ALICE, LIHUA, CHAN, LUCIA, IVAN = 1001, 1002, 1003, 1004, 1005
BOT = "telegemini_sandbox_bot"


async def as_user(page: Page, user_id: int, *, group: bool = False) -> None:
    await page.select_option("[data-testid=user-select]", str(user_id))
    await page.click(f"[data-testid=chat-{'group' if group else 'private'}]")


async def say(page: Page, text: str) -> None:
    await page.fill("[data-testid=input]", text)
    await page.keyboard.press("Enter")


def bot_texts(page: Page):
    return page.locator(".msg[data-from=bot][data-kind=text] [data-testid=text]")


async def test_a_message_gets_a_formatted_answer_and_a_voice_note(page: Page):
    await as_user(page, ALICE)
    await expect(page.get_by_test_id("model-banner")).to_have_text("Demo model (offline)")

    await say(page, "hello sandbox")
    answer = bot_texts(page).last
    await expect(answer).to_contain_text("You said: hello sandbox")
    await expect(answer.locator("i")).to_have_text("hello sandbox")
    await expect(answer.locator("b")).to_have_text("demo model")
    await expect(answer.locator("code")).to_have_text("GOOGLE_API_KEY")
    voice = page.locator(".msg[data-from=bot] [data-testid=voice] audio")
    await expect(voice).to_have_count(1)
    assert (await voice.get_attribute("src") or "").startswith("/sim/file/")
    assert int(await page.evaluate("document.body.dataset.drafts || '0'")) > 0  # streamed live

    await say(page, "do you remember?")
    await expect(bot_texts(page).last).to_contain_text("Earlier in this conversation:")
    await expect(bot_texts(page).last).to_contain_text("1. hello sandbox")
    await expect(voice).to_have_count(2)
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "sandbox.png"))


async def test_an_inline_button_sends_a_callback_query(page: Page, sandbox: Sandbox):
    await as_user(page, LUCIA)
    await say(page, "/mode")
    buttons = page.get_by_test_id("inline-button")
    await expect(buttons.first).to_have_text("✓ Asistente")
    second = (await buttons.nth(1).inner_text()).strip()

    await buttons.nth(1).click()

    await expect(buttons.nth(1)).to_have_text(f"✓ {second}")  # the bot edited its message
    await expect(buttons.first).to_have_text("Asistente")
    [answer] = await sandbox.telegram.wait_for_calls("answerCallbackQuery")
    if answer.params.get("text"):
        await expect(page.get_by_test_id("toast")).to_have_text(answer.params["text"])


async def test_photos_sent_together_are_an_album(page: Page, tmp_path: Path):
    await as_user(page, CHAN)
    paths = []
    for colour in ("tomato", "steelblue"):
        path = tmp_path / f"{colour}.png"
        out = io.BytesIO()
        Image.new("RGB", (320, 200), colour).save(out, format="PNG")
        path.write_bytes(out.getvalue())
        paths.append(str(path))

    await page.set_input_files("[data-testid=file-input]", paths)
    await expect(page.get_by_test_id("attach-bar")).to_be_visible()
    await page.fill("[data-testid=caption]", "two colours")
    await page.click("[data-testid=attach-send]")

    album = page.locator(".msg[data-from=user] [data-testid=album]")
    await expect(album.locator("img")).to_have_count(2)
    await expect(page.locator(".msg[data-from=user][data-kind=photo]")).to_contain_text(
        "two colours"
    )
    await expect(bot_texts(page).last).to_contain_text("I received 2 pictures")


async def test_a_voice_note_recorded_in_the_browser(page: Page):
    await as_user(page, LIHUA)
    await page.click("[data-testid=record-button]")
    await page.wait_for_selector("[data-testid=recording-time][data-seconds='1']")
    await page.click("[data-testid=recording-send]")

    await expect(page.locator(".msg[data-from=user] [data-testid=voice]")).to_have_count(1)
    # No words to tell the language by: the demo answers in the language of whoever spoke.
    await expect(bot_texts(page).last).to_contain_text("我收到了一段录音")
    await expect(page.locator(".msg[data-from=bot] [data-testid=voice]")).to_have_count(1)


@pytest.mark.parametrize(
    ("user", "placeholder", "menu", "banner"),
    [
        (ALICE, "Message", "Menu", "Demo model (offline)"),
        (LIHUA, "消息", "菜单", "演示模型（离线）"),
        (CHAN, "訊息", "選單", "示範模型（離線）"),
        (LUCIA, "Mensaje", "Menú", "Modelo de demostración (sin conexión)"),
        (IVAN, "Сообщение", "Меню", "Демо-модель (офлайн)"),
    ],
)
async def test_the_page_speaks_the_users_language(page: Page, user, placeholder, menu, banner):
    await as_user(page, user)
    await expect(page.get_by_test_id("input")).to_have_attribute("placeholder", placeholder)
    await expect(page.get_by_test_id("menu-button")).to_have_text(menu)
    await expect(page.get_by_test_id("model-banner")).to_have_text(banner)


async def test_the_command_menu_comes_from_set_my_commands(page: Page, sandbox: Sandbox):
    await as_user(page, IVAN)
    expected = sandbox.telegram.commands(None, "ru")
    await page.click("[data-testid=menu-button]")
    entries = page.get_by_test_id("command")
    await expect(entries).to_have_count(len(expected))
    await expect(entries.first).to_have_text(
        f"/{expected[0]['command']}{expected[0]['description']}"
    )


async def test_in_the_group_the_bot_answers_mentions_and_replies(page: Page, sandbox: Sandbox):
    await as_user(page, ALICE, group=True)
    await expect(page.get_by_test_id("input")).to_have_attribute(
        "placeholder", f"Message — mention @{BOT} or reply to it"
    )
    await say(page, "just chatting among humans")
    await say(page, f"@{BOT} what is this group?")
    await expect(bot_texts(page)).to_have_count(1)
    await expect(page.locator(".msg[data-from=bot] [data-testid=quote]").first).to_contain_text(
        "what is this group?"
    )

    await page.locator(".msg[data-from=bot][data-kind=text] [data-testid=reply-button]").click()
    await expect(page.get_by_test_id("reply-bar")).to_contain_text("Reply to Telegemini")
    await say(page, "tell me more")

    await expect(bot_texts(page)).to_have_count(2)
    await expect(bot_texts(page).last).to_contain_text("You said: tell me more")
    messages = sandbox.telegram.bot_messages(GROUP.id)
    quoted = [m.get("reply_to_message", {}).get("text") for m in messages]
    assert "just chatting among humans" not in quoted


def png(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (160, 100), colour).save(out, format="PNG")
    return out.getvalue()


async def test_the_bots_albums_and_files_are_shown(page: Page, bot_api):
    await as_user(page, IVAN)
    media = [{"type": "photo", "media": f"attach://p{i}"} for i in range(3)]
    media[0]["caption"] = "three variants"
    sent = await bot_api(
        "sendMediaGroup",
        files={f"p{i}": (f"p{i}.png", png(c)) for i, c in enumerate(("red", "green", "blue"))},
        chat_id=str(IVAN),
        media=media,
    )
    album = page.locator(f".msg[data-album='{sent[0]['media_group_id']}']")
    await expect(album.locator("img")).to_have_count(3)
    await expect(album).to_contain_text("three variants")

    await bot_api("deleteMessage", chat_id=IVAN, message_id=sent[1]["message_id"])
    await expect(album.locator("img")).to_have_count(2)

    await bot_api("sendDocument", files={"document": ("full.png", png("navy"))}, chat_id=str(IVAN))
    link = page.locator(".msg[data-from=bot] [data-testid=document]").last
    await expect(link).to_contain_text("full.png")
    assert (await link.get_attribute("href") or "").endswith("?download=1")


async def test_entities_edits_deletions_and_chat_actions_show_live(page: Page, bot_api):
    await as_user(page, IVAN)
    await bot_api("sendChatAction", chat_id=IVAN, action="typing")
    await expect(page.get_by_test_id("chat-status")).to_have_text("печатает…")

    text = "👋 bold italic under strike code spoiler link\nquote\nprint(1)"
    entities = [  # offsets in UTF-16 units: the emoji counts 2
        {"type": "bold", "offset": 3, "length": 4},
        {"type": "italic", "offset": 8, "length": 6},
        {"type": "underline", "offset": 15, "length": 5},
        {"type": "strikethrough", "offset": 21, "length": 6},
        {"type": "code", "offset": 28, "length": 4},
        {"type": "spoiler", "offset": 33, "length": 7},
        {"type": "text_link", "offset": 41, "length": 4, "url": "https://example.com/"},
        {"type": "blockquote", "offset": 46, "length": 5},
        {"type": "pre", "offset": 52, "length": 8, "language": "python"},
    ]
    sent = await bot_api("sendMessage", chat_id=IVAN, text=text, entities=entities)
    bubble = page.locator(f".msg[data-message-id='{sent['message_id']}'] [data-testid=text]")
    for selector, shown in [
        ("b", "bold"),
        ("i", "italic"),
        ("u", "under"),
        ("s", "strike"),
        ("code >> nth=0", "code"),
        ("[data-testid=spoiler]", "spoiler"),
        ("a[href='https://example.com/']", "link"),
        ("blockquote", "quote"),
        ("pre code.language-python", "print(1)"),
    ]:
        await expect(bubble.locator(selector)).to_have_text(shown)
    await expect(page.get_by_test_id("chat-status")).to_have_text("бот")  # the message ended it

    await bot_api("editMessageText", chat_id=IVAN, message_id=sent["message_id"], text="Новый")
    await expect(bubble).to_contain_text("Новый")
    await expect(bubble).to_contain_text("изменено")

    await bot_api("deleteMessage", chat_id=IVAN, message_id=sent["message_id"])
    await expect(bubble).to_have_count(0)
