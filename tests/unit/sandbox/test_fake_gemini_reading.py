"""The fake Gemini reads PDFs and web pages; the chat adapter sends documents and the URL Context
tool and reads back the pages read, through the real google-genai SDK."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

import pytest
from google import genai
from google.genai import types

from telegemini.core.models import ChatCompleted, ChatRequest, DocumentPart, TextPart
from telegemini.gemini.chat import GeminiChatModel
from telegemini.gemini.stream import InteractionStreams
from telegemini.sandbox.fake_gemini import FakeGeminiServer
from telegemini.sandbox.fake_gemini.parsing import MediaBlock, Turn
from telegemini.sandbox.fake_gemini.reading import (
    MAX_URLS,
    document_reply,
    make_pdf,
    pdf_pages,
    read_pages,
)

CHAT = "gemini-3.5-flash-lite"


@pytest.fixture
async def client(shared_server: FakeGeminiServer) -> AsyncIterator[genai.Client]:
    shared_server.reset()
    options = types.HttpOptions(
        base_url=shared_server.url, retry_options=types.HttpRetryOptions(attempts=1)
    )
    client = genai.Client(api_key="test-key", http_options=options)
    yield client
    await client.aio.aclose()


@pytest.fixture
async def streams(shared_server: FakeGeminiServer) -> AsyncIterator[InteractionStreams]:
    shared_server.reset()
    streams = InteractionStreams(api_key="test-key", base_url=shared_server.url)
    yield streams
    await streams.close()


async def complete(model: GeminiChatModel, request: ChatRequest) -> ChatCompleted:
    async for event in model.stream(request):
        if isinstance(event, ChatCompleted):
            return event
    raise AssertionError("no ChatCompleted")


def test_a_pdf_made_by_the_fake_reads_back_page_by_page():
    data = make_pdf(["First (one) \\ page", "Second page"])
    assert data.startswith(b"%PDF-1.4")
    assert data.rstrip().endswith(b"%%EOF")
    assert pdf_pages(data) == ["First (one) \\ page", "Second page"]


def test_compressed_content_streams_and_tj_arrays_are_read():
    content = zlib.compress(b"BT [(Hel) -20 (lo)] TJ ET")
    data = (
        b"%%PDF-1.5\n1 0 obj << /Type /Pages /Kids [2 0 R] /Count 1 >> endobj\n"
        b"2 0 obj << /Type /Page /Contents 3 0 R >> endobj\n"
        b"3 0 obj << /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream\nendobj\n"
        % (len(content), content)
    )
    assert pdf_pages(data) == ["Hello"]


def _pdf_turn(text: str, pages: list[str]) -> Turn:
    block = MediaBlock("document", "application/pdf", make_pdf(pages))
    return Turn("user", texts=[text, "File: r.pdf"], media=[block])


def test_questions_about_a_pdf_are_answered_from_the_page_asked_about():
    turns = [_pdf_turn("page 3?", ["a", "b"])]
    assert document_reply(turns, "page 3?") == "r.pdf has only 2 pages."
    later = [*turns, Turn("model", texts=["…"]), Turn("user", texts=["and page 2?"])]
    assert document_reply(later, "and page 2?") == 'r.pdf, page 2: "b" (p. 2)'
    assert document_reply([*later, Turn("user", texts=["hello"])], "hello") is None


def test_pages_read_fail_or_succeed_by_their_address():
    pages = read_pages(
        "https://ok.example/a, https://ok.example/a https://x.invalid/ https://n.example/paywall/1."
    )
    assert [(p.url, p.status) for p in pages] == [
        ("https://ok.example/a", "success"),
        ("https://x.invalid/", "error"),
        ("https://n.example/paywall/1", "paywall"),
    ]
    many = " ".join(f"https://e.example/{n}" for n in range(30))
    assert len(read_pages(many)) == MAX_URLS


async def test_the_adapter_sends_a_pdf_as_a_document_block_named_before_it(streams):
    model = GeminiChatModel(streams, model=CHAT, timeout=5)
    pdf = make_pdf(["Cover", "Revenue grew to 42 million."])
    completed = await complete(
        model,
        ChatRequest(
            parts=[TextPart("what is on page 2?"), DocumentPart(pdf, "application/pdf", "r.pdf")],
            system_instruction="sys",
        ),
    )
    assert completed.text == 'r.pdf, page 2: "Revenue grew to 42 million." (p. 2)'


async def test_the_adapter_sends_a_text_file_as_text(streams, shared_server):
    model = GeminiChatModel(streams, model=CHAT, timeout=5)
    data = b"print('hi')\n"
    completed = await complete(
        model,
        ChatRequest(parts=[DocumentPart(data, "text/plain", "a.py")], system_instruction="sys"),
    )
    [request] = shared_server.interaction_requests()
    assert request["input"][0]["content"] == [
        {"type": "text", "text": "File: a.py\n\nprint('hi')\n"}
    ]
    assert completed.text == "I read a.py (1 line). It begins: \"print('hi')\""


async def test_pages_read_come_back_in_order_and_failed_ones_are_left_out(streams, shared_server):
    model = GeminiChatModel(streams, model=CHAT, timeout=5)
    text = "compare https://b.example/x, https://down.invalid/y and https://a.example/ä"
    completed = await complete(
        model, ChatRequest(parts=[TextPart(text)], system_instruction="sys", url_context=True)
    )
    [request] = shared_server.interaction_requests()
    assert request["tools"] == [{"type": "url_context"}]
    assert [p.url for p in completed.pages] == ["https://b.example/x", "https://a.example/ä"]
    assert [s.title for s in completed.sources] == [
        "Fake page: b.example/x",
        "Fake page: a.example/ä",
    ]


async def test_generate_content_reports_url_context_metadata(client):
    config = types.GenerateContentConfig(tools=[types.Tool(url_context=types.UrlContext())])
    response = await client.aio.models.generate_content(
        model=CHAT, contents="read https://a.example/p and https://b.invalid/q", config=config
    )
    metadata = response.candidates[0].url_context_metadata
    assert [(m.retrieved_url, m.url_retrieval_status) for m in metadata.url_metadata] == [
        ("https://a.example/p", types.UrlRetrievalStatus.URL_RETRIEVAL_STATUS_SUCCESS),
        ("https://b.invalid/q", types.UrlRetrievalStatus.URL_RETRIEVAL_STATUS_ERROR),
    ]
