"""The fake Bot API's text pipeline: MarkdownV2, Markdown, HTML, explicit entities, limits."""

from typing import Any

import pytest

from telegemini.sandbox.fake_telegram import ApiError
from telegemini.sandbox.fake_telegram.entities import detect_entities, utf16_len
from telegemini.sandbox.fake_telegram.formatting import format_text
from telegemini.sandbox.fake_telegram.limits import FloodControl, check_text, validate_reply_markup
from telegemini.sandbox.fake_telegram.media import image_size


def parse(text: str, mode: str | None = None, entities: Any = None) -> tuple[str, list[Any]]:
    return format_text(text, parse_mode=mode, entities=entities)


def error_of(text: str, mode: str) -> str:
    with pytest.raises(ApiError) as caught:
        parse(text, mode)
    assert caught.value.status == 400
    return caught.value.description


def test_markdown_v2_entities_and_escapes() -> None:
    text, entities = parse(
        "*bold* _it_ __under__ ~gone~ ||secret|| `x\\`y` [site](http://example.com/a\\)b) \\.",
        "MarkdownV2",
    )

    assert text == "bold it under gone secret x`y site ."
    assert [(e["type"], e["offset"], e["length"]) for e in entities] == [
        ("bold", 0, 4),
        ("italic", 5, 2),
        ("underline", 8, 5),
        ("strikethrough", 14, 4),
        ("spoiler", 19, 6),
        ("code", 26, 3),
        ("text_link", 30, 4),
    ]
    assert entities[-1]["url"] == "http://example.com/a)b"


def test_markdown_v2_nested_pre_and_blockquote() -> None:
    text, entities = parse("*a _b_ c*\n```python\nprint(1)\n```\n>quoted\n>more", "MarkdownV2")

    assert text == "a b c\nprint(1)\n\nquoted\nmore"
    assert {"type": "pre", "offset": 6, "length": 9, "language": "python"} in entities
    assert {"type": "italic", "offset": 2, "length": 1} in entities
    assert {"type": "blockquote", "offset": 16, "length": 11} in entities


def test_markdown_v2_offsets_are_utf16() -> None:
    text, entities = parse("😀 *héllo*", "MarkdownV2")

    assert text == "😀 héllo"
    assert entities == [{"type": "bold", "offset": 3, "length": 5}]


RESERVED = "is reserved and must be escaped with the preceding '\\'"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Hello.", f"Character '.' {RESERVED}"),
        ("a - b", f"Character '-' {RESERVED}"),
        ("ok *bold", "Can't find end of Bold entity at byte offset 3"),
        ("é _it", "Can't find end of Italic entity at byte offset 3"),
        ("```py\ncode", "Can't find end of PreCode entity at byte offset 0"),
        ("[x](http://a", "Can't find end of a URL at byte offset 4"),
    ],
    ids=["dot", "dash", "bold", "italic-after-utf8", "pre-code", "url"],
)
def test_markdown_v2_errors_are_telegrams(source: str, expected: str) -> None:
    assert error_of(source, "MarkdownV2") == f"Bad Request: can't parse entities: {expected}"


def test_legacy_markdown() -> None:
    text, entities = parse("*b* _i_ `c` [l](http://x.org)", "Markdown")

    assert text == "b i c l"
    assert [e["type"] for e in entities] == ["bold", "italic", "code", "text_link"]
    assert error_of("*open", "Markdown") == (
        "Bad Request: can't parse entities: Can't find end of the entity starting at byte offset 0"
    )


def test_html_tags_and_entities() -> None:
    text, entities = parse(
        '<b>bold</b> <i>it</i> &lt;tag&gt; &amp; <a href="https://e.com/?a=1&amp;b=2">link</a> '
        '<span class="tg-spoiler">s</span> <pre><code class="language-py">x = 1</code></pre>'
        " <blockquote expandable>q</blockquote>"
        ' <tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
        "HTML",
    )

    assert text == "bold it <tag> & link s x = 1 q 👍"
    by_type = {e["type"]: e for e in entities}
    assert by_type["bold"] == {"type": "bold", "offset": 0, "length": 4}
    assert by_type["text_link"]["url"] == "https://e.com/?a=1&b=2"
    assert by_type["pre"] == {"type": "pre", "offset": 23, "length": 5, "language": "py"}
    assert "code" not in by_type
    assert by_type["expandable_blockquote"]["length"] == 1
    assert by_type["custom_emoji"]["custom_emoji_id"] == "5368324170671202286"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<b", "Unclosed start tag at byte offset 0"),
    ],
    ids=["unknown-tag", "unclosed", "bare-less-than", "unmatched", "unexpected", "span", "eof"],
)
def test_html_errors_are_telegrams(source: str, expected: str) -> None:
    assert error_of(source, "HTML") == f"Bad Request: can't parse entities: {expected}"


def test_explicit_entities_are_checked_in_utf16() -> None:
    text, entities = parse("😀 bold", entities=[{"type": "bold", "offset": 3, "length": 4}])
    assert (text, entities) == ("😀 bold", [{"type": "bold", "offset": 3, "length": 4}])

    with pytest.raises(ApiError, match="can't parse entities: entity of type bold at offset 3"):
        parse("😀 bold", entities=[{"type": "bold", "offset": 3, "length": 5}])
    with pytest.raises(ApiError, match='Unsupported entity type "shiny"'):
        parse("x", entities=[{"type": "shiny", "offset": 0, "length": 1}])
    with pytest.raises(ApiError, match='"url" must be specified'):
        parse("x", entities=[{"type": "text_link", "offset": 0, "length": 1}])


def test_explicit_entities_win_over_parse_mode_and_unknown_mode_fails() -> None:
    text, _ = parse("*x*", "MarkdownV2", [{"type": "italic", "offset": 0, "length": 3}])
    assert text == "*x*"
    with pytest.raises(ApiError, match="unsupported parse_mode"):
        parse("x", "markdown3")


def test_text_is_trimmed_and_auto_entities_added() -> None:
    text, entities = parse("  hi @alice_bot, try /help or https://example.com/x.  \n")

    assert text == "hi @alice_bot, try /help or https://example.com/x."
    assert [(e["type"], e["offset"], e["length"]) for e in entities] == [
        ("mention", 3, 10),
        ("bot_command", 19, 5),
        ("url", 28, 21),
    ]


def test_command_with_bot_suffix_is_one_entity() -> None:
    assert detect_entities("/start@telegemini_test_bot now") == [
        {"type": "bot_command", "offset": 0, "length": 26}
    ]


def test_text_limits() -> None:
    check_text("x" * 4096)
    with pytest.raises(ApiError, match="message is too long"):
        check_text("x" * 4097)
    with pytest.raises(ApiError, match="message is too long"):
        check_text("😀" * 2049)
    assert utf16_len("😀" * 2049) == 4098
    with pytest.raises(ApiError, match="MESSAGE_TOO_LONG"):
        check_text("x" * 4097, edit=True)
    with pytest.raises(ApiError, match="message text is empty"):
        check_text("")


def test_reply_markup_rules() -> None:
    ok = {"inline_keyboard": [[{"text": "a", "callback_data": "é" * 32}]]}
    assert validate_reply_markup(ok) == ok
    assert validate_reply_markup({"remove_keyboard": True}) is None
    with pytest.raises(ApiError, match="BUTTON_DATA_INVALID"):
        validate_reply_markup({"inline_keyboard": [[{"text": "a", "callback_data": "é" * 33}]]})
    with pytest.raises(ApiError, match="Text buttons are unallowed"):
        validate_reply_markup({"inline_keyboard": [[{"text": "a"}]]})


def test_flood_control_per_chat_and_group() -> None:
    clock = [100.0]
    flood = FloodControl(clock=lambda: clock[0])
    for _ in range(3):
        flood.check(42)
    with pytest.raises(ApiError) as caught:
        flood.check(42)
    assert caught.value.status == 429
    assert caught.value.parameters == {"retry_after": 1}
    clock[0] += 1.0
    flood.check(42)

    for second in range(20):
        clock[0] = 200.0 + second * 3
        flood.check(-100)
    clock[0] += 1
    with pytest.raises(ApiError, match="Too Many Requests: retry after"):
        flood.check(-100)


def test_image_headers() -> None:
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + (640).to_bytes(4, "big") + (480).to_bytes(4, "big")
    )
    gif = b"GIF89a" + (30).to_bytes(2, "little") + (20).to_bytes(2, "little")
    jpeg = (
        b"\xff\xd8\xff\xe0\x00\x04ab\xff\xc0\x00\x11\x08"
        + (300).to_bytes(2, "big")
        + (400).to_bytes(2, "big")
    )
    assert image_size(png + b"\x08\x02\x00\x00\x00") == (640, 480)
    assert image_size(gif) == (30, 20)
    assert image_size(jpeg + b"\x03" + b"\x00" * 9) == (400, 300)
    assert image_size(b"not an image") is None
