"""``parse_mode=HTML``, parsed the way Telegram (tdlib's ``parse_html``) does.

Supported tags: b/strong, i/em, u/ins, s/strike/del, span class="tg-spoiler", tg-spoiler,
a href, code (class="language-x"), pre, blockquote [expandable], tg-emoji emoji-id. Named
entities ``&lt; &gt; &amp; &quot;`` and numeric ones are decoded; an unknown ``&name;`` stays
literal. Errors carry tdlib's wording and UTF-8 byte offsets into the source.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .entities import char_units, entity, sort_entities
from .markdown_mode import byte_offset, link_entity, parse_error

SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACES = " \t\r\n\v\f"


@dataclass
class _Open:
    tag: str
    argument: str
    offset: int
    out_pos: int


def _at(text: str, i: int) -> str:
    return text[i] if i < len(text) else ""


def decode_entity(text: str, i: int) -> tuple[str | None, int]:
    """Decode the HTML entity starting at ``text[i] == '&'``: (character, index after it)."""
    j = i + 1
    if _at(text, j) == "#":
        j += 1
        digits = "0123456789"
        base = 10
        if _at(text, j) in ("x", "X"):
            digits, base = "0123456789abcdefABCDEF", 16
            j += 1
        start = j
        while j < len(text) and text[j] in digits:
            j += 1
        if j == start or j - start > 8:
            return None, i
        code = int(text[start:j], base)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None, i
        char = chr(code)
    else:
        start = j
        while j < len(text) and text[j].isascii() and text[j].isalpha():
            j += 1
        name = text[start:j]
        if name not in _NAMED:
            return None, i
        char = _NAMED[name]
    if _at(text, j) == ";":
        j += 1
    return char, j


def _attribute_value(text: str, i: int) -> tuple[str, int]:
    """Read a quoted string or a name token starting at ``i``."""
    if text[i] not in "'\"":
        start = i
        while i < len(text) and ((text[i].isascii() and text[i].isalnum()) or text[i] in ".-"):
            i += 1
        if i < len(text) and text[i] not in _SPACES and text[i] != ">":
            raise parse_error(
                f"Unexpected end of name token at byte offset {byte_offset(text, start)}"
            )
        return text[start:i].lower(), i
    quote = text[i]
    i += 1
    chars: list[str] = []
    while i < len(text) and text[i] != quote:
        if text[i] == "&":
            decoded, after = decode_entity(text, i)
            if decoded is not None:
                chars.append(decoded)
                i = after
                continue
        chars.append(text[i])
        i += 1
    if i < len(text):
        i += 1
    return "".join(chars), i


def _start_tag(text: str, begin: int) -> tuple[_Open, int]:
    """Parse ``<tag attr=...>`` at ``begin``: the open tag (offsets unset), ``>``'s index."""
    n = len(text)
    i = begin + 1
    while i < n and text[i] not in _SPACES and text[i] != ">":
        i += 1
    if i >= n:
        raise parse_error(f"Unclosed start tag at byte offset {byte_offset(text, begin)}")
    tag = text[begin + 1 : i].lower()
    where = f"at byte offset {byte_offset(text, begin)}"
    if tag not in SUPPORTED_TAGS:
        raise parse_error(f'Unsupported start tag "{tag}" {where}')
    argument = ""
    while _at(text, i) != ">":
        while i < n and text[i] in _SPACES:
            i += 1
        if i >= n:
            raise parse_error(f"Unclosed start tag {where}")
        if text[i] == ">":
            break
        name_start = i
        while i < n and text[i] not in _SPACES and text[i] not in "=>":
            i += 1
        name = text[name_start:i]
        if not name:
            raise parse_error(f'Empty attribute name in the tag "{tag}" {where}')
        while i < n and text[i] in _SPACES:
            i += 1
        if _at(text, i) != "=":
            if tag == "blockquote" and name == "expandable":
                argument = "expandable"
                continue
            raise parse_error(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" {where}'
            )
        i += 1
        while i < n and text[i] in _SPACES:
            i += 1
        if i >= n:
            raise parse_error(f'Unclosed start tag "{tag}" {where}')
        value, i = _attribute_value(text, i)
        if i >= n:
            raise parse_error(f"Unclosed start tag {where}")
        if tag == "a" and name == "href":
            argument = value
        elif tag == "code" and name == "class" and value.startswith("language-"):
            argument = value[len("language-") :]
        elif tag == "span" and name == "class" and value.startswith("tg-"):
            argument = value[len("tg-") :]
        elif tag == "tg-emoji" and name == "emoji-id":
            argument = value
    if tag == "span" and argument != "spoiler":
        raise parse_error(f'Tag "span" must have class "tg-spoiler" {where}')
    return _Open(tag, argument, 0, 0), i


def _close(entities: list[dict[str, Any]], top: _Open, out: list[str], utf16: int) -> None:
    """Append the entity a closed tag makes (tdlib merges pre + code into pre with language)."""
    offset, length = top.offset, utf16 - top.offset
    last = entities[-1] if entities else None
    same_span = last is not None and (last["offset"], last["length"]) == (offset, length)
    if top.tag in _SIMPLE:
        entities.append(entity(_SIMPLE[top.tag], offset, length))
    elif top.tag == "a":
        made = link_entity(offset, length, top.argument or "".join(out[top.out_pos :]))
        if made is not None:
            entities.append(made)
    elif top.tag == "tg-emoji":
        if not top.argument.isdigit():
            raise parse_error("Invalid custom emoji identifier specified")
        entities.append(entity("custom_emoji", offset, length, custom_emoji_id=top.argument))
    elif top.tag == "blockquote":
        kind = "expandable_blockquote" if top.argument else "blockquote"
        entities.append(entity(kind, offset, length))
    elif top.tag == "pre":
        if last is not None and same_span and last["type"] == "code" and last.get("_language"):
            last.update(type="pre", language=last.pop("_language"))
        else:
            entities.append(entity("pre", offset, length))
    elif last is not None and same_span and last["type"] == "pre" and top.argument:  # code
        last["language"] = top.argument
    else:
        entities.append(entity("code", offset, length, _language=top.argument or None))


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into (plain text, entities). Raises ApiError on malformed input."""
    out: list[str] = []
    entities: list[dict[str, Any]] = []
    stack: list[_Open] = []
    utf16 = 0
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c == "&":
            decoded, after = decode_entity(text, i)
            if decoded is not None:
                out.append(decoded)
                utf16 += char_units(decoded)
                i = after
                continue
        if c != "<":
            out.append(c)
            utf16 += char_units(c)
            i += 1
            continue
        begin = i
        if _at(text, i + 1) != "/":
            opened, i = _start_tag(text, begin)
            opened.offset, opened.out_pos = utf16, len(out)
            stack.append(opened)
            i += 1
            continue
        if not stack:
            raise parse_error(f"Unexpected end tag at byte offset {byte_offset(text, begin)}")
        i += 2
        while i < n and text[i] not in _SPACES and text[i] != ">":
            i += 1
        end_name = text[begin + 2 : i].lower()
        while i < n and text[i] in _SPACES:
            i += 1
        if _at(text, i) != ">":
            raise parse_error(f"Unclosed end tag at byte offset {byte_offset(text, begin)}")
        top = stack.pop()
        if end_name and end_name != top.tag:
            raise parse_error(
                f"Unmatched end tag at byte offset {byte_offset(text, begin)}, "
                f'expected "</{top.tag}>", found "</{end_name}>"'
            )
        if utf16 > top.offset:
            _close(entities, top, out, utf16)
        i += 1
    if stack:
        raise parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    for item in entities:
        item.pop("_language", None)
    return "".join(out), sort_entities(entities)
