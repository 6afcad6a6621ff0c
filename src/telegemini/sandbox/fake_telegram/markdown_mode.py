"""``parse_mode=MarkdownV2`` and legacy ``Markdown``, parsed the way Telegram (tdlib) does.

The algorithms follow tdlib's ``parse_markdown_v2`` and ``parse_markdown`` in
``td/telegram/MessageEntity.cpp``, including their error messages and byte offsets (UTF-8
bytes of the *source* text). Entity offsets in the result are UTF-16 code units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .entities import char_units, entity, sort_entities
from .models import ApiError

RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_SPACES = " \t\r\n\v\f"
_ERROR_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}
_USER_LINK = re.compile(r"^tg://user\?id=(\d{1,20})$", re.IGNORECASE)
_EMOJI_LINK = re.compile(r"^tg://emoji\?id=(\d{1,20})$", re.IGNORECASE)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_BARE_HOST = re.compile(r"^[\w-]+(\.[\w-]+)*\.[A-Za-z]{2,}(:\d+)?([/?#].*)?$")


def parse_error(message: str) -> ApiError:
    """The 400 Telegram answers when a parse mode fails."""
    return ApiError.bad_request(f"can't parse entities: {message}")


def byte_offset(text: str, index: int) -> int:
    """The UTF-8 byte offset of ``text[index]``, as tdlib reports positions."""
    return len(text[:index].encode("utf-8"))


def check_link(url: str) -> str | None:
    """A usable link target, or None when Telegram would drop the entity."""
    url = url.strip()
    scheme = _SCHEME.match(url)
    if scheme:
        return url if scheme.group(1).lower() in {"http", "https", "tg", "ton"} else None
    return f"http://{url}" if _BARE_HOST.match(url) else None


def link_entity(offset: int, length: int, url: str) -> dict[str, Any] | None:
    """A ``text_mention`` for ``tg://user?id=``, a ``text_link`` otherwise (None if invalid)."""
    user = _USER_LINK.match(url.strip())
    if user:
        user_id = int(user.group(1))
        return entity(
            "text_mention",
            offset,
            length,
            user={"id": user_id, "is_bot": False, "first_name": ""},
        )
    target = check_link(url)
    return None if target is None else entity("text_link", offset, length, url=target)


@dataclass
class _Open:
    kind: str
    argument: str
    offset: int  # UTF-16 offset in the result
    index: int  # character index of the opening mark in the source
    out_pos: int  # number of result characters before the entity


@dataclass
class _Quote:
    offset: int
    expandable: bool


def _is_escape(text: str, i: int) -> bool:
    return text[i] == "\\" and i + 1 < len(text) and 0 < ord(text[i + 1]) <= 126


def _closes(kind: str, text: str, i: int) -> bool:
    c, nxt = text[i], text[i + 1 : i + 2]
    if kind == "bold":
        return c == "*"
    if kind == "italic":
        return c == "_" and nxt != "_"
    if kind == "code":
        return c == "`"
    if kind == "pre":
        return text.startswith("```", i)
    if kind in ("text_link", "custom_emoji"):
        return c == "]"
    if kind == "underline":
        return c == "_" and nxt == "_"
    if kind == "strikethrough":
        return c == "~"
    return c == "|" and nxt == "|"  # spoiler


def _read_url(text: str, i: int) -> tuple[str, int]:
    """Read an escaped URL from ``text[i]`` up to ``)``; return it and the index of ``)``."""
    chars: list[str] = []
    while i < len(text) and text[i] != ")":
        if _is_escape(text, i):
            chars.append(text[i + 1])
            i += 2
            continue
        chars.append(text[i])
        i += 1
    return "".join(chars), i


def _skip_pre_start(text: str, i: int) -> tuple[int, str]:
    """After an opening triple backtick at ``i - 3``: read the language, skip one newline."""
    language = ""
    end = i
    while end < len(text) and text[end] not in _SPACES and text[end] != "`":
        end += 1
    if end != i and end < len(text) and text[end] != "`":
        language = text[i:end]
        i = end
    if i < len(text) and text[i] in "\r\n":
        pair = text[i + 1 : i + 2]
        i += 2 if pair in ("\r", "\n") and pair != text[i] else 1
    return i, language


def parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse MarkdownV2 into (plain text, entities). Raises ApiError on malformed input."""
    out: list[str] = []
    entities: list[dict[str, Any]] = []
    stack: list[_Open] = []
    quote: _Quote | None = None
    utf16 = 0
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        in_code = bool(stack) and stack[-1].kind in ("code", "pre")
        if not in_code and (i == 0 or text[i - 1] == "\n"):
            if c == ">" or text.startswith("**>", i):
                width = 1 if c == ">" else 3
                if quote is None:
                    quote = _Quote(utf16, expandable=width == 3)
                i += width
                continue
            if quote is not None:
                _close_quote(entities, quote, utf16 - 1)
                quote = None
        if (
            quote is not None
            and not in_code
            and text.startswith("||", i)
            and (i + 2 == n or text[i + 2] == "\n")
            and not (stack and stack[-1].kind == "spoiler")
        ):
            quote.expandable = True
            i += 2
            continue
        if _is_escape(text, i):
            out.append(text[i + 1])
            utf16 += 1
            i += 2
            continue
        if c not in ("`" if in_code else RESERVED):
            out.append(c)
            utf16 += char_units(c)
            i += 1
            continue
        if not (stack and _closes(stack[-1].kind, text, i)):
            start = i
            argument = ""
            nxt = text[i + 1 : i + 2]
            if c == "_":
                kind = "underline" if nxt == "_" else "italic"
                i += 1 if nxt == "_" else 0
            elif c == "*":
                kind = "bold"
            elif c == "~":
                kind = "strikethrough"
            elif c == "|" and nxt == "|":
                kind = "spoiler"
                i += 1
            elif c == "[":
                kind = "text_link"
            elif c == "`" and text.startswith("```", i):
                kind = "pre"
                i, argument = _skip_pre_start(text, i + 3)
                i -= 1
            elif c == "`":
                kind = "code"
            elif c == "!" and nxt == "[":
                kind = "custom_emoji"
                i += 1
            else:
                raise parse_error(
                    f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
                )
            stack.append(_Open(kind, argument, utf16, start, len(out)))
            i += 1
            continue
        top = stack.pop()
        made: dict[str, Any] | None = None
        length = utf16 - top.offset
        if top.kind in ("underline", "spoiler"):
            i += 1
        elif top.kind == "pre":
            i += 2
        if top.kind == "text_link":
            if text[i + 1 : i + 2] != "(":
                url = "".join(out[top.out_pos :])
            else:
                url_begin = i + 2
                url, i = _read_url(text, url_begin)
                if i >= n:
                    raise parse_error(
                        f"Can't find end of a URL at byte offset {byte_offset(text, url_begin)}"
                    )
            made = link_entity(top.offset, length, url) if length else None
        elif top.kind == "custom_emoji":
            if text[i + 1 : i + 2] != "(":
                raise parse_error("Custom emoji entity must contain a tg://emoji URL")
            url_begin = i + 2
            url, i = _read_url(text, url_begin)
            if i >= n:
                raise parse_error(
                    "Can't find end of a custom emoji URL at byte offset "
                    f"{byte_offset(text, url_begin)}"
                )
            emoji = _EMOJI_LINK.match(url)
            if emoji is None:
                raise parse_error("Custom emoji URL must have an emoji identifier")
            if length:
                made = entity("custom_emoji", top.offset, length, custom_emoji_id=emoji.group(1))
        elif length:
            made = entity(top.kind, top.offset, length, language=top.argument or None)
        if made is not None:
            entities.append(made)
        i += 1
    if stack:
        top = stack[-1]
        name = "PreCode" if top.kind == "pre" and top.argument else _ERROR_NAMES[top.kind]
        raise parse_error(
            f"Can't find end of {name} entity at byte offset {byte_offset(text, top.index)}"
        )
    if quote is not None:
        _close_quote(entities, quote, utf16)
    return "".join(out), sort_entities(entities)


def _close_quote(entities: list[dict[str, Any]], quote: _Quote, end: int) -> None:
    if end > quote.offset:
        kind = "expandable_blockquote" if quote.expandable else "blockquote"
        entities.append(entity(kind, quote.offset, end - quote.offset))


def parse_markdown(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse legacy ``Markdown`` (v1) into (plain text, entities)."""
    out: list[str] = []
    entities: list[dict[str, Any]] = []
    utf16 = 0
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c == "\\" and text[i + 1 : i + 2] in ("_", "*", "`", "["):
            out.append(text[i + 1])
            utf16 += 1
            i += 2
            continue
        if c not in "_*`[":
            out.append(c)
            utf16 += char_units(c)
            i += 1
            continue
        begin = i
        end_char = "]" if c == "[" else c
        is_pre = False
        language = ""
        i += 1
        if c == "`" and text.startswith("``", i):
            is_pre = True
            i, language = _skip_pre_start(text, i + 2)
        offset = utf16
        while i < n and (text[i] != end_char or (is_pre and not text.startswith("``", i + 1))):
            out.append(text[i])
            utf16 += char_units(text[i])
            i += 1
        if i >= n:
            raise parse_error(
                f"Can't find end of the entity starting at byte offset {byte_offset(text, begin)}"
            )
        length = utf16 - offset
        if c == "[":
            if text[i + 1 : i + 2] == "(":
                close = text.find(")", i + 2)
                close = n if close < 0 else close
                url = text[i + 2 : close]
                i = close
            else:
                url = text[begin + 1 : i]
            made = link_entity(offset, length, url) if length else None
            if made is not None:
                entities.append(made)
        elif length:
            kind = {"_": "italic", "*": "bold"}.get(c, "pre" if is_pre else "code")
            entities.append(entity(kind, offset, length, language=language or None))
        i += 3 if is_pre else 1
    return "".join(out), sort_entities(entities)
