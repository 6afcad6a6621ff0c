from __future__ import annotations

from telegemini.tg.formatting import (
    Entity,
    render_markdown,
    render_plain,
    split_text,
    utf16_len,
)


def test_markdown_becomes_entities_not_escapes():
    [chunk] = render_markdown("Hello **bold** and `code`. A dot. A dash - here!")
    assert chunk.text == "Hello bold and code. A dot. A dash - here!"
    types = {e.type for e in chunk.entities}
    assert {"bold", "code"} <= types


def test_links_become_text_links():
    [chunk] = render_markdown("See [the docs](https://example.com/x).")
    [link] = [e for e in chunk.entities if e.type == "text_link"]
    assert link.url == "https://example.com/x"
    assert chunk.text[link.offset : link.offset + link.length] == "the docs"


def test_short_text_is_one_chunk():
    assert [c.text for c in render_plain("hi")] == ["hi"]


def test_split_prefers_paragraphs():
    paragraph = "word " * 150  # 750 characters
    text = "\n\n".join(paragraph.strip() for _ in range(8))  # ~6000 characters
    chunks = split_text(text, [], limit=4096)
    assert len(chunks) == 2
    assert all(utf16_len(c.text) <= 4096 for c in chunks)
    assert all(c.text.endswith("word") for c in chunks)  # cut between paragraphs, not words
    assert "".join(c.text for c in chunks).replace("\n", "") == text.replace("\n", "")


def test_split_falls_back_to_sentences():
    text = " ".join(f"Sentence number {n} is here." for n in range(400))
    chunks = split_text(text, [], limit=1000)
    assert all(len(c.text) <= 1000 for c in chunks)
    assert all(c.text.endswith(".") for c in chunks)
    assert " ".join(c.text for c in chunks) == text


def test_split_counts_utf16_units():
    text = "😀" * 3000  # 6000 UTF-16 units, no break points at all
    chunks = split_text(text, [], limit=4096)
    assert [utf16_len(c.text) for c in chunks] == [4096, 1904]


def test_entities_are_clipped_into_each_chunk():
    text = "a" * 50 + " " + "b" * 50
    bold = Entity("bold", 40, 20)
    first, second = split_text(text, [bold], limit=60)
    assert first.text == "a" * 50
    assert first.entities == (Entity("bold", 40, 10),)
    assert second.text == "b" * 50
    assert second.entities == (Entity("bold", 0, 9),)
