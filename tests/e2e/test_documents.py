"""Documents and links in the conversation, through the real aiogram and google-genai SDK: PDFs,
text and code files join the conversation; links are read with the URL Context tool."""

from __future__ import annotations

import base64

from telegemini.core.models import ChatKey
from telegemini.sandbox.fake_gemini.reading import make_pdf

MB = 1024 * 1024
REPORT = make_pdf(["Introduction: the fake company.", "Revenue grew to 42 million."])


def _blocks(body: dict, kind: str) -> list[dict]:
    return [
        block
        for step in body["input"]
        for block in step.get("content", [])
        if block.get("type") == kind
    ]


def _url_tool(body: dict) -> bool:
    return {"type": "url_context"} in body.get("tools", [])


async def test_a_pdf_with_a_question_reaches_the_model_and_the_answer_cites_the_page(
    bot, telegram, gemini, alice
):
    telegram.send_document(
        alice,
        REPORT,
        file_name="report.pdf",
        mime_type="application/pdf",
        caption="what is on page 2?",
    )
    [answer] = await telegram.wait_for_bot_messages(alice.id, 1)

    [request] = gemini.interaction_requests()
    [document] = _blocks(request, "document")
    assert document["mime_type"] == "application/pdf"
    assert base64.b64decode(document["data"]) == REPORT  # byte for byte
    texts = [block["text"] for block in _blocks(request, "text")]
    assert texts == ["what is on page 2?", "File: report.pdf"]
    assert "cite the page numbers" in request["system_instruction"]
    assert answer["text"] == 'report.pdf, page 2: "Revenue grew to 42 million." (p. 2)'


async def test_a_later_question_chains_on_the_document(start_bot, telegram, gemini, alice):
    bot = await start_bot("polling")
    telegram.send_document(alice, REPORT, file_name="report.pdf", mime_type="application/pdf")
    [summary] = await telegram.wait_for_bot_messages(alice.id, 1)
    assert summary["text"] == 'report.pdf, page 1: "Introduction: the fake company." (p. 1)'
    first = gemini.interaction_requests()[0]
    assert _blocks(first, "text")[0]["text"].startswith("Summarise this file")

    telegram.send_text(alice, "and what does page 2 say?")
    _, follow_up = await telegram.wait_for_bot_messages(alice.id, 2)
    second = gemini.interaction_requests()[1]
    [answered, *_] = [r for r in gemini.requests if "interaction_id" in r.meta]
    assert second["previous_interaction_id"] == answered.meta["interaction_id"]
    assert _blocks(second, "document") == []  # the model has it in the chain
    assert follow_up["text"] == 'report.pdf, page 2: "Revenue grew to 42 million." (p. 2)'

    conversation = await bot.store.load_conversation(ChatKey(alice.id))
    assert conversation.transcript[0].text == "📄 report.pdf"


async def test_a_reseeded_chain_knows_the_file_existed(start_bot, telegram, gemini, alice):
    await start_bot("polling")
    telegram.send_document(
        alice, REPORT, file_name="report.pdf", mime_type="application/pdf", caption="thoughts?"
    )
    await telegram.wait_for_bot_messages(alice.id, 1)
    gemini.forget_interactions()
    telegram.send_text(alice, "which file did I send?")
    await telegram.wait_for_bot_messages(alice.id, 2)
    reseeded = gemini.interaction_requests()[-1]
    assert "previous_interaction_id" not in reseeded
    assert reseeded["input"][0]["content"] == [{"type": "text", "text": "📄 report.pdf\nthoughts?"}]


async def test_a_code_file_is_read_as_text(start_bot, telegram, gemini, alice):
    await start_bot("polling")
    source = "def add(a, b):\n    return a + b  # ½\n"
    telegram.send_document(
        alice,
        source.encode(),
        file_name="calc.py",
        mime_type="text/x-python",
        caption="any bugs?",
    )
    [answer] = await telegram.wait_for_bot_messages(alice.id, 1)
    [request] = gemini.interaction_requests()
    assert _blocks(request, "document") == []
    texts = [block["text"] for block in _blocks(request, "text")]
    assert texts == ["any bugs?", f"File: calc.py\n\n{source}"]
    assert answer["text"] == 'I read calc.py (2 lines). It begins: "def add(a, b):"'


async def test_an_oversized_file_is_refused_before_download(start_bot, telegram, gemini, alice):
    await start_bot("polling")
    telegram.send_document(
        alice,
        b"%PDF-1.4 tiny",
        file_name="huge.pdf",
        mime_type="application/pdf",
        declared_size=25 * MB,
        caption="summarise",
    )
    [refusal] = await telegram.wait_for_bot_messages(alice.id, 1)
    assert "too large" in refusal["text"]
    assert "20 MB" in refusal["text"]
    assert telegram.calls_of("getFile") == []
    assert gemini.interaction_requests() == []


async def test_archives_and_programs_are_refused_politely(start_bot, telegram, gemini, alice):
    await start_bot("polling")
    telegram.send_document(
        alice, b"PK\x03\x04 zip", file_name="photos.zip", mime_type="application/zip"
    )
    telegram.send_document(
        alice, b"MZ\x90\x00", file_name="setup.exe", mime_type="application/x-msdownload"
    )
    zip_refusal, exe_refusal = await telegram.wait_for_bot_messages(alice.id, 2)
    assert zip_refusal["text"].startswith("I can't read photos.zip: I read PDFs, text and code")
    assert exe_refusal["text"].startswith("I can't read setup.exe")
    assert telegram.calls_of("getFile") == []
    assert gemini.interaction_requests() == []


async def test_the_operator_can_turn_documents_off(start_bot, telegram, gemini, alice):
    await start_bot("polling", documents_enabled=False, url_context_enabled=False)
    telegram.send_document(alice, REPORT, file_name="report.pdf", mime_type="application/pdf")
    [refusal] = await telegram.wait_for_bot_messages(alice.id, 1)
    assert refusal["text"].startswith("This bot doesn't read files.")
    assert gemini.interaction_requests() == []
    telegram.send_text(alice, "/settings")
    _, screen = await telegram.wait_for_bot_messages(alice.id, 2)
    assert "files and links" not in screen["text"]


async def test_a_user_can_turn_reading_off_in_settings(start_bot, telegram, gemini, alice):
    await start_bot("polling")
    telegram.send_text(alice, "/settings")
    [screen] = await telegram.wait_for_bot_messages(alice.id, 1)
    assert "Read files and links: on" in screen["text"]
    telegram.press_button(alice, screen, "set:rd:off")
    await telegram.wait_for_calls("answerCallbackQuery")
    telegram.send_document(alice, REPORT, file_name="report.pdf", mime_type="application/pdf")
    telegram.send_text(alice, "summarise https://example.org/a")
    _, refusal, answer = await telegram.wait_for_bot_messages(alice.id, 3)
    assert refusal["text"].startswith("Reading files is off in your /settings.")
    [request] = gemini.interaction_requests()
    assert not _url_tool(request)
    assert "Pages read:" not in answer["text"]


async def test_a_link_is_read_with_url_context_and_the_pages_are_listed(
    bot, telegram, gemini, alice
):
    telegram.send_text(
        alice, "summarise this https://example.org/a and https://down.invalid/b please"
    )
    [answer] = await telegram.wait_for_bot_messages(alice.id, 1)
    [request] = gemini.interaction_requests()
    assert _url_tool(request)
    head, pages = answer["text"].split("Pages read:\n")
    assert "The page https://example.org/a is a fake page about example.org." in head
    assert pages.splitlines() == ["1. Fake page: example.org/a"]  # the failed one is not listed
    links = [e["url"] for e in answer["entities"] if e["type"] == "text_link"]
    assert links == ["https://example.org/a"]


async def test_without_a_link_no_url_tool_is_sent(start_bot, telegram, gemini, alice):
    await start_bot("polling")
    telegram.send_text(alice, "hello there")
    await telegram.wait_for_bot_messages(alice.id, 1)
    assert not _url_tool(gemini.interaction_requests()[0])


async def test_the_operator_can_turn_url_context_off(start_bot, telegram, gemini, alice):
    await start_bot("polling", url_context_enabled=False)
    telegram.send_text(alice, "summarise https://example.org/a")
    [answer] = await telegram.wait_for_bot_messages(alice.id, 1)
    assert not _url_tool(gemini.interaction_requests()[0])
    assert "Pages read:" not in answer["text"]
