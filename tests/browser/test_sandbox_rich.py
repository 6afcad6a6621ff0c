"""Rich messages on the sandbox page (Bot API 10.1-10.3): tables, formulas typeset by the KaTeX
the package ships, the other blocks, collapsed thinking, the Stop button under a streamed draft,
and ephemeral messages shown to their receiver alone.

As in ``test_sandbox_page``, each test keeps to chats the others do not count in: 陳大文 and
Иван talk to the bot in their private chats (陳大文's album test and Иван's tests only look at
what they add), Lucía's private chat gets what the tests send as the bot, and the group only
an ephemeral message that the group test's Alice never sees.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.async_api import Page, expect

from telegemini.sandbox.people import GROUP
from telegemini.sandbox.runner import Sandbox
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_sandbox_page import ALICE, CHAN, IVAN, LUCIA, as_user, bot_texts, say

pytestmark = pytest.mark.browser

# The demo model repeats what it is told, so a message with a table and formulas gets an answer
# with them, as Markdown that the bot sends as a rich message.
TABLE_AND_FORMULAS = "\n".join(
    [
        "Squares:",
        "",
        "| n | n² |",
        "|:--|--:|",
        "| 2 | **4** |",
        "| 3 | 9 |",
        "",
        "$$\\int_0^1 x^2\\,dx = \\frac{1}{3}$$",
        "",
        "and inline $e^{i\\pi} + 1 = 0$.",
    ]
)


def voices_to(sandbox: Sandbox, chat_id: int) -> int:
    return len([c for c in sandbox.telegram.calls_of("sendVoice") if c.ok and c.chat_id == chat_id])


async def test_an_answer_with_a_table_and_formulas(page: Page, sandbox: Sandbox):
    await as_user(page, CHAN)
    voices = voices_to(sandbox, CHAN)
    await say(page, TABLE_AND_FORMULAS)

    answer = page.locator(".msg[data-from=bot][data-rich='1'] [data-testid=text]").last
    table = answer.get_by_test_id("rich-table")
    await expect(table.locator("thead th")).to_have_text(["n", "n²"])
    await expect(table.locator("tbody tr")).to_have_count(2)
    await expect(table.locator("tbody td b")).to_have_text("4")
    await expect(table.locator("tbody td").nth(1)).to_have_css("text-align", "right")
    await expect(table.locator("td").first).to_have_css("border-top-style", "solid")

    block = answer.get_by_test_id("math-block")
    await expect(block.locator(".katex-display .katex-html")).to_be_visible()
    await expect(block.locator("annotation")).to_have_text("\\int_0^1 x^2\\,dx = \\frac{1}{3}")
    await expect(block.locator(".mfrac")).to_have_count(1)  # typeset, not the LaTeX source
    inline = answer.get_by_test_id("math")
    await expect(inline.locator(".katex .katex-html")).to_be_visible()
    await expect(inline.locator("annotation")).to_have_text("e^{i\\pi} + 1 = 0")

    # KaTeX's own fonts, served from the package (the page has no network).
    loaded = await page.evaluate(
        """async () => {
            await document.fonts.ready;
            return [...document.fonts].filter((f) => f.status === "loaded").map((f) => f.family);
        }"""
    )
    assert {"KaTeX_Main", "KaTeX_Math"} <= {family.strip("\"'") for family in loaded}
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "sandbox-rich.png"))
    # The bot's voice note ends the answer: nothing of it is left to land in later tests.
    await sandbox.telegram.wait_until(
        lambda: voices_to(sandbox, CHAN) > voices, timeout=10, what="the answer's voice note"
    )


async def test_blocks_and_a_collapsed_thinking_block(page: Page, bot_api):
    await as_user(page, LUCIA)
    draft = "<tg-thinking>Weighing **both** options</tg-thinking>\n\nSo far: *half* an answer"
    await bot_api(
        "sendRichMessageDraft", chat_id=LUCIA, draft_id=77, rich_message={"markdown": draft}
    )
    shown = page.locator("[data-testid=draft][data-draft-id='77']")
    thinking = shown.get_by_test_id("thinking")
    await expect(thinking.locator("summary")).to_have_text("Razonamiento")
    await expect(thinking.locator("b")).to_be_hidden()  # collapsed
    assert not await thinking.evaluate("node => node.open")
    await expect(shown.locator("p i")).to_have_text("half")
    await expect(shown.get_by_test_id("stop-button")).to_have_count(0)  # no can_stop
    await thinking.locator("summary").click()
    await expect(thinking.locator("b")).to_have_text("both")

    markdown = "\n".join(
        [
            "## Plan",
            "",
            "1. first",
            "2. second",
            "",
            "- [x] done",
            "",
            "> a quote",
            "",
            "---",
            "",
            "```python",
            "print(1)",
            "```",
            "",
            "See [the docs](https://example.com/) and ~~not this~~.",
        ]
    )
    sent = await bot_api("sendRichMessage", chat_id=LUCIA, rich_message={"markdown": markdown})
    await expect(shown).to_have_count(0)  # the message replaced the draft
    body = page.locator(f".msg[data-message-id='{sent['message_id']}'] [data-testid=text]")
    await expect(body.locator("h2")).to_have_text("Plan")
    await expect(body.locator(".rich-list").first.locator("li")).to_have_text(
        ["1. first", "2. second"]
    )
    await expect(body.locator(".rich-list").nth(1).locator("input[type=checkbox]")).to_be_checked()
    await expect(body.locator("blockquote")).to_have_text("a quote")
    await expect(body.locator("hr")).to_have_count(1)
    await expect(body.locator("pre code.language-python")).to_have_text("print(1)")
    await expect(body.locator("a[href='https://example.com/']")).to_have_text("the docs")
    await expect(body.locator("s")).to_have_text("not this")

    # Blocks as a bot may send them (the fake converts no <details> Markdown): a collapsed
    # details block, a formula in a paragraph, a header cell across two columns.
    head = {"align": "center", "valign": "middle", "is_header": True, "colspan": 2, "text": "both"}
    cell = {"align": "left", "valign": "top"}
    blocks = [
        {
            "type": "details",
            "summary": "Details",
            "blocks": [{"type": "paragraph", "text": "hidden at first"}],
        },
        {
            "type": "paragraph",
            "text": ["Area ", {"type": "mathematical_expression", "expression": "\\pi r^2"}],
        },
        {"type": "table", "cells": [[head], [{**cell, "text": "a"}, {**cell, "text": "b"}]]},
    ]
    built = await bot_api("sendRichMessage", chat_id=LUCIA, rich_message={"blocks": blocks})
    shown_blocks = page.locator(f".msg[data-message-id='{built['message_id']}'] [data-testid=text]")
    details = shown_blocks.locator("details")
    await expect(details.locator("summary")).to_have_text("Details")
    await expect(details.locator("p")).to_be_hidden()
    await expect(shown_blocks.get_by_test_id("math").locator(".katex")).to_have_count(1)
    await expect(shown_blocks.locator("th[colspan='2']")).to_have_text("both")

    # A reply quotes a rich message by its text.
    await page.locator(f".msg[data-message-id='{sent['message_id']}'] .reply-button").click()
    await expect(page.get_by_test_id("reply-bar")).to_contain_text("Plan")
    await page.click("#reply-cancel")


@pytest.fixture
def slow_model(sandbox: Sandbox) -> Iterator[None]:
    """The demo model writes one piece a second: an answer streams long enough to be stopped."""
    assert sandbox.gemini is not None
    before = sandbox.gemini.chunk_delay
    sandbox.gemini.chunk_delay = 1.0
    yield
    sandbox.gemini.chunk_delay = before


async def test_thinking_streams_collapsed_and_the_stop_button_stops_the_answer(
    page: Page, sandbox: Sandbox, slow_model
):
    await as_user(page, IVAN)
    await say(page, "/settings")
    show_thinking = page.get_by_test_id("inline-button").filter(has_text="💭")
    await expect(show_thinking).to_have_text("💭 Показывать рассуждения: выкл")
    await show_thinking.click()
    await expect(show_thinking).to_have_text("💭 Показывать рассуждения: вкл")
    answers = len(sandbox.telegram.bot_messages(IVAN))
    await say(page, "расскажи длинную историю о море, кораблях, ветре и далёких островах")

    # The model's thought summary streams first, as a collapsed thinking block of the draft.
    draft = page.get_by_test_id("draft")
    thinking = draft.get_by_test_id("thinking")
    await expect(thinking.locator("summary")).to_have_text("Рассуждения")
    await expect(thinking.locator("div")).to_be_hidden()
    assert not await thinking.evaluate("node => node.open")
    await thinking.locator("summary").click()
    await expect(thinking.locator("div")).to_contain_text("The user asks: расскажи")

    stop = draft.get_by_test_id("stop-button")
    await expect(stop).to_have_text("Остановить")
    await stop.click()

    await expect(draft).to_have_count(0)
    await expect(bot_texts(page).last).to_contain_text("(остановлено)")
    [stopped] = [d for d in sandbox.telegram.drafts(IVAN) if d.stopped]
    assert stopped.can_stop
    messages = await sandbox.telegram.wait_for_bot_messages(IVAN, answers + 1)
    final = str(messages[-1].get("_rich_text") or messages[-1].get("text"))
    assert final.endswith("(остановлено)")
    assert "to talk to Gemini" not in final  # cut short: the answer's end was never written


async def test_an_ephemeral_message_is_shown_to_its_receiver_alone(
    page: Page, sandbox: Sandbox, bot_api
):
    sandbox.telegram.set_bot_admin(GROUP)  # an administrator may write to one member anytime
    try:
        sent = await bot_api(
            "sendMessage",
            chat_id=GROUP.id,
            text="Your daily quota is used up.",
            ephemeral_message_parameters={"receiver_user_id": LUCIA},
        )
    finally:
        sandbox.telegram.set_bot_admin(GROUP, admin=False)
    assert sent["message_id"] == 0

    await as_user(page, LUCIA, group=True)
    notice = page.locator(f".msg.ephemeral[data-ephemeral-id='{sent['ephemeral_message_id']}']")
    await expect(notice.get_by_test_id("text")).to_contain_text("Your daily quota is used up.")
    await expect(notice.get_by_test_id("ephemeral-note")).to_have_text(
        "Solo tú puedes ver este mensaje"
    )
    await expect(notice.get_by_test_id("reply-button")).to_have_count(0)

    await as_user(page, ALICE, group=True)  # another member of the group does not see it
    await expect(page.get_by_test_id("chat-title")).to_have_text("Sandbox group")
    await expect(page.locator(".msg.ephemeral")).to_have_count(0)

    await as_user(page, LUCIA, group=True)
    await expect(notice.get_by_test_id("ephemeral-note")).to_be_visible()
    await bot_api(
        "deleteEphemeralMessage",
        chat_id=GROUP.id,
        receiver_user_id=LUCIA,
        ephemeral_message_id=sent["ephemeral_message_id"],
    )
    await expect(notice).to_have_count(0)
