"""Files users send and links they write, as the conversation handles them."""

from __future__ import annotations

import codecs

import pytest

from telegemini.core.buttons import Setting, SettingPress
from telegemini.core.documents import decode_text, has_url, kind_of
from telegemini.core.models import (
    Attachment,
    AttachmentKind,
    ChatKey,
    DocumentPart,
    ImagePart,
    TextPart,
)
from tests.helpers.world import World

MB = 1024 * 1024
PDF = b"%PDF-1.4 a small document"


def document(
    world: World, data: bytes, name: str, mime: str | None, size: int | None = None
) -> Attachment:
    world.files.files[name] = data
    return Attachment(
        AttachmentKind.DOCUMENT,
        name,
        size=len(data) if size is None else size,
        mime_type=mime,
        file_name=name,
    )


@pytest.mark.parametrize(
    ("name", "mime", "kind"),
    [
        ("report.pdf", "application/pdf", "pdf"),
        ("scan.PDF", "application/octet-stream", "pdf"),
        ("notes.txt", "text/plain", "text"),
        ("main.rs", None, "text"),
        ("Makefile", "application/octet-stream", "text"),
        ("data.json", "application/json", "text"),
        ("photo.png", "image/png", "image"),
        ("photos.zip", "application/zip", None),
        ("setup.exe", "application/x-msdownload", None),
        ("app.apk", "application/vnd.android.package-archive", None),
    ],
)
def test_what_a_file_can_be_read_as(name, mime, kind):
    assert kind_of(Attachment(AttachmentKind.DOCUMENT, "f", mime_type=mime, file_name=name)) == kind


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"plain", "plain"),
        (codecs.BOM_UTF8 + "naïve".encode(), "naïve"),
        (codecs.BOM_UTF16_LE + "текст".encode("utf-16-le"), "текст"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", None),
        (b"caf\xe9", None),  # Latin-1, not UTF-8
    ],
)
def test_text_files_are_decoded_or_recognised_as_binary(data, text):
    assert decode_text(data) == text


def test_links_are_recognised():
    assert has_url("summarise https://example.org/a please")
    assert has_url("see HTTP://EXAMPLE.ORG")
    assert not has_url("example.org without a scheme")


async def test_a_pdf_with_a_question_reaches_the_model_whole():
    world = World()
    world.model.enqueue("Revenue grew (p. 2).")
    out = await world.send(
        "what is on page 2?", attachments=(document(world, PDF, "report.pdf", "application/pdf"),)
    )
    [request] = world.model.history
    assert request.parts == [
        TextPart("what is on page 2?"),
        DocumentPart(PDF, "application/pdf", "report.pdf"),
    ]
    assert "cite the page numbers" in request.system_instruction
    assert out.texts == ["Revenue grew (p. 2)."]
    transcript = (await world.store.load_conversation(ChatKey(7))).transcript
    assert transcript[0].text == "📄 report.pdf\nwhat is on page 2?"
    assert (await world.store.quota_usage(7, world.guard.day()))["messages"] == 1


async def test_a_file_without_a_caption_is_summarised():
    world = World()
    source = "fn main() {}\n"
    await world.send(attachments=(document(world, source.encode(), "main.rs", None),))
    [request] = world.model.history
    assert request.parts[0] == TextPart(
        "Summarise this file briefly, in the language of our conversation."
    )
    assert request.parts[1] == DocumentPart(source.encode(), "text/plain", "main.rs")
    transcript = (await world.store.load_conversation(ChatKey(7))).transcript
    assert transcript[0].text == "📄 main.rs"


async def test_a_utf16_text_file_reaches_the_model_as_utf8():
    world = World()
    data = codecs.BOM_UTF16_LE + "привет".encode("utf-16-le")
    await world.send("translate", attachments=(document(world, data, "hi.txt", "text/plain"),))
    assert world.model.history[0].parts[1] == DocumentPart(
        "привет".encode(), "text/plain", "hi.txt"
    )


async def test_a_picture_sent_as_a_file_is_seen_as_a_picture():
    world = World()
    png = b"\x89PNG\r\n\x1a\n fake"
    await world.send("what is this?", attachments=(document(world, png, "cat.png", "image/png"),))
    assert world.model.history[0].parts[1] == ImagePart(png, "image/png")


@pytest.mark.parametrize(
    ("name", "mime", "size", "expected"),
    [
        ("photos.zip", "application/zip", 100, "I can't read photos.zip: I read PDFs"),
        ("setup.exe", "application/x-msdownload", 100, "I can't read setup.exe"),
        ("big.pdf", "application/pdf", 21 * MB, "the limit is 20 MB"),
        ("big.log", "text/plain", 3 * MB, "the limit is 2 MB"),
    ],
)
async def test_what_cannot_be_read_is_refused_before_download_and_free(name, mime, size, expected):
    world = World()
    out = await world.send("look", attachments=(document(world, b"x", name, mime, size=size),))
    assert expected in out.texts[0]
    assert world.files.fetched == []
    assert world.model.history == []
    assert (await world.store.quota_usage(7, world.guard.day())).get("messages", 0) == 0


async def test_binary_content_under_a_text_name_is_refused_after_download():
    world = World()
    out = await world.send(
        attachments=(document(world, b"\x00\x01\x02binary", "data.txt", "text/plain"),)
    )
    assert out.texts[0].startswith("I can't read data.txt")
    assert world.model.history == []


async def test_a_file_that_is_not_really_a_pdf_is_refused():
    world = World()
    out = await world.send(
        attachments=(document(world, b"PK\x03\x04", "x.pdf", "application/pdf"),)
    )
    assert out.texts[0].startswith("I can't read x.pdf")
    assert world.model.history == []


async def test_the_operator_can_turn_files_off():
    world = World(documents_enabled=False)
    out = await world.send(attachments=(document(world, PDF, "r.pdf", "application/pdf"),))
    assert out.texts[0].startswith("This bot doesn't read files.")
    assert world.files.fetched == []
    assert world.model.history == []


async def test_a_user_can_turn_reading_off_and_on_again():
    world = World()
    screen = await world.send(command="settings")
    assert "Read files and links: on" in screen.sent[0].text
    await world.press(SettingPress(Setting.READING, "off"))
    out = await world.send(attachments=(document(world, PDF, "r.pdf", "application/pdf"),))
    assert out.texts[0].startswith("Reading files is off in your /settings.")
    await world.send("read https://example.org/a")
    assert not world.model.history[-1].url_context

    await world.press(SettingPress(Setting.READING, "on"))
    await world.send(attachments=(document(world, PDF, "r.pdf", "application/pdf"),))
    assert world.model.history[-1].parts[-1] == DocumentPart(PDF, "application/pdf", "r.pdf")


async def test_settings_show_no_reading_switch_when_the_operator_allows_neither():
    world = World(documents_enabled=False, url_context_enabled=False)
    screen = await world.send(command="settings")
    assert "files and links" not in screen.sent[0].text
    labels = [b.label for row in screen.sent[0].buttons for b in row]
    assert not any("files and links" in label for label in labels)


async def test_a_link_lets_the_model_read_it():
    world = World()
    await world.send("summarise https://example.org/a")
    await world.send("and now without a link")
    with_link, without = world.model.history
    assert with_link.url_context
    assert not without.url_context


async def test_links_are_not_read_when_the_operator_says_no():
    world = World(url_context_enabled=False)
    await world.send("summarise https://example.org/a")
    assert not world.model.history[0].url_context


async def test_help_says_files_and_links_can_be_sent_where_they_are_read():
    reading = await World().send(command="help")
    assert "Send me a PDF, a text or code file, or a link" in reading.texts[0]
    neither = await World(documents_enabled=False, url_context_enabled=False).send(command="help")
    assert "PDF" not in neither.texts[0]


async def test_an_album_of_files_is_limited_as_a_whole():
    world = World()
    files = tuple(
        document(world, PDF, f"part{n}.pdf", "application/pdf", size=15 * MB) for n in range(4)
    )
    out = await world.send("compare them", attachments=files)
    assert "the limit is 50 MB" in out.texts[0]
    assert world.files.fetched == []
    assert world.model.history == []
