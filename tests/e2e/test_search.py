"""Answers grounded in Google Search, with their sources shown as links."""

from __future__ import annotations

from telegemini.sandbox.fake_gemini import Fault


def _search_tool(body: dict) -> bool:
    return {"type": "google_search"} in body.get("tools", [])


async def test_sources_render_as_clickable_deduplicated_links(start_bot, telegram, gemini, alice):
    await start_bot("polling")
    telegram.send_text(alice, "what's in the news today?")
    [message] = await telegram.wait_for_bot_messages(alice.id, 1)
    assert _search_tool(gemini.interaction_requests()[0])
    text = message["text"]
    head, sources = text.split("Sources:\n")
    assert "The first source reports the fake story." in head
    assert sources.splitlines() == [
        "1. Example News: The fake story",
        "2. Example Blog: An analysis",
    ]
    links = [e for e in message["entities"] if e["type"] == "text_link"]
    assert [link["url"] for link in links] == [
        "https://news.example.com/2026/fake-story",
        "https://blog.example.org/analysis",
    ]


async def test_searching_shows_in_the_draft(start_bot, telegram, alice):
    await start_bot("polling")
    telegram.send_text(alice, "any news?")
    await telegram.wait_for_bot_messages(alice.id, 1)
    drafts = [c.params.get("text") for c in telegram.calls_of("sendMessageDraft")]
    assert drafts[0] == "🔎 Searching the web…"


async def test_voice_replies_do_not_read_the_sources(start_bot, telegram, gemini, alice):
    await start_bot("polling", voice_enabled=True)
    telegram.send_text(alice, "the news please")
    await telegram.wait_for_bot_messages(alice.id, 2)
    tts = gemini.interaction_requests()[-1]
    assert "Sources" not in str(tts["input"])
    assert "example.com" not in str(tts["input"])


async def test_the_operator_can_turn_search_off(start_bot, telegram, gemini, alice):
    await start_bot("polling", google_search_enabled=False)
    telegram.send_text(alice, "what's in the news?")
    [message] = await telegram.wait_for_bot_messages(alice.id, 1)
    assert not _search_tool(gemini.interaction_requests()[0])
    assert "Sources:" not in message["text"]


async def test_a_user_can_turn_search_off_in_settings(start_bot, telegram, gemini, alice):
    await start_bot("polling")
    telegram.send_text(alice, "/settings")
    [screen] = await telegram.wait_for_bot_messages(alice.id, 1)
    assert "Web search: on" in screen["text"]
    telegram.press_button(alice, screen, "set:ws:off")
    await telegram.wait_for_calls("answerCallbackQuery")
    telegram.send_text(alice, "news?")
    await telegram.wait_for_bot_messages(alice.id, 2)
    assert not _search_tool(gemini.interaction_requests()[-1])


async def test_a_failing_search_falls_back_to_an_answer_without_it(
    start_bot, telegram, gemini, alice
):
    await start_bot("polling")
    # Refused outright (not a passing failure): the same budget's next attempt goes without search.
    gemini.faults.add(Fault(status=400, times=1, match="interactions"))
    telegram.send_text(alice, "what's the news?")
    [message] = await telegram.wait_for_bot_messages(alice.id, 1)
    failed, retried = gemini.interaction_requests()
    assert _search_tool(failed)
    assert not _search_tool(retried)
    assert message["text"].startswith("You said: what's the news?")
