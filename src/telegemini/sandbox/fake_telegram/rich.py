"""``InputRichMessage`` (Bot API 10.1-10.3): checked as Telegram checks it, turned into the
``RichMessage`` the fake returns.

Checks: exactly one of ``markdown``/``html``/``blocks`` (none: ``rich message must be
non-empty``; several: ``RICH_MESSAGE_CONTENT_REQUIRED``); required block fields (``can't parse
InputRichBlock: Can't find field "size"``), table cells' ``align``/``valign``; no ``thinking``
block or ``<tg-thinking>`` outside drafts; ``media`` ids, their ``tg://`` links, uploads (drafts:
file_ids only); the limits of ``limits.py`` (text, blocks, depth, media, columns, buttons).

How the fake measures (its simplifications, see ``rich_markdown`` and ``rich_html``): the text is
the converted blocks' text in code points (markup not counted, formula sources and emoji alt
texts counted); blocks of Markdown/HTML are the simple ``units`` count of the converters, blocks
of a ``blocks`` input every block plus every list item and table row; depth is the nesting of
blocks (a list and its items are one level) and of inline formatting; a Markdown table's columns
are its header row's cells. ``http(s)`` media in ``media`` or blocks are refused as by the rest
of the fake (it cannot fetch URLs); an ``![](https://...)`` media line in Markdown/HTML becomes a
paragraph with a link.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .api_media import FileSource, check_upload, file_source, media_value
from .limits import (
    MAX_CALLBACK_DATA_BYTES,
    RICH_BUTTONS,
    RICH_CONTENT,
    RICH_DRAFT_MEDIA,
    RICH_EMPTY,
    RICH_HEADING_SIZE,
    RICH_MAX_BLOCKS,
    RICH_MAX_BUTTONS,
    RICH_MAX_COLUMNS,
    RICH_MAX_DEPTH,
    RICH_MAX_MEDIA,
    RICH_MAX_TEXT,
    RICH_MEDIA_ID,
    RICH_MEDIA_ID_PATTERN,
    RICH_MEDIA_MISSING,
    RICH_THINKING,
    RICH_TOO_DEEP,
    RICH_TOO_LONG,
    RICH_TOO_MANY_BLOCKS,
    RICH_TOO_MANY_MEDIA,
    RICH_TOO_WIDE,
)
from .models import ApiError
from .params import Context, Params
from .rich_html import html_blocks
from .rich_markdown import Block, markdown_blocks

# InputMedia type -> the fake's file kind (the block type and field are the InputMedia type).
MEDIA_KINDS = {
    "photo": "photo",
    "video": "video",
    "audio": "audio",
    "document": "document",
    "animation": "animation",
    "voice_note": "voice",
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "paragraph": ("text",),
    "heading": ("text", "size"),
    "pre": ("text",),
    "footer": ("text",),
    "divider": (),
    "mathematical_expression": ("expression",),
    "anchor": ("name",),
    "list": ("items",),
    "blockquote": ("blocks",),
    "expandable_blockquote": ("text",),
    "pullquote": ("text",),
    "collage": ("blocks",),
    "slideshow": ("blocks",),
    "table": ("cells",),
    "details": ("summary", "blocks"),
    "map": ("location",),
    "buttons": ("buttons",),
    "thinking": ("text",),
    **{kind: (kind,) for kind in MEDIA_KINDS},
}
NESTED = ("blockquote", "collage", "slideshow", "details")
ALIGN, VALIGN = frozenset({"left", "center", "right"}), frozenset({"top", "middle", "bottom"})
BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "disabled",
)
TEXT_KEYS = frozenset({"text", "expression", "alternative_text", "summary", "credit", "caption"})
THINKING_TAG = re.compile(r"<tg-thinking\b", re.I)
TG_MEDIA_LINK = re.compile(r"tg://(?:photo|video|document|audio)\?id=([^\s\"'()<>&]*)")
PLACEHOLDER = "__fake_media__"


@dataclass
class RichResult:
    """A checked rich message: the ``RichMessage`` to return and what tests may want."""

    rich_message: dict[str, Any]
    source: dict[str, Any]  # the InputRichMessage as sent
    text: str  # a plain-text flattening of the blocks
    units: int = 0

    def content(self) -> dict[str, Any]:
        """The Message fields: ``rich_message`` plus the fake-only ``_rich_*`` keys."""
        content: dict[str, Any] = {"rich_message": self.rich_message, "_rich_text": self.text}
        if isinstance(self.source.get("markdown"), str):
            content["_rich_markdown"] = self.source["markdown"]
        if isinstance(self.source.get("html"), str):
            content["_rich_html"] = self.source["html"]
        return content


@dataclass
class _Media:
    """One media item waiting to be stored: checked, not stored before every check passed."""

    kind: str  # InputMedia type
    source: FileSource
    params: Params


def bad(message: str) -> ApiError:
    """A 400 with Telegram's prefix."""
    return ApiError.bad_request(message)


def build_rich(ctx: Context, *, draft: bool) -> RichResult:
    """Check the request's ``rich_message`` and build the ``RichMessage`` (storing uploads)."""
    raw = ctx.params.get("rich_message")
    if not isinstance(raw, dict):
        raise bad(RICH_EMPTY)  # absent, or a JSON string inside a JSON body (double-encoded)
    given = [key for key in ("markdown", "html", "blocks") if raw.get(key) not in (None, "")]
    if not given:
        raise bad(RICH_EMPTY)
    if len(given) > 1:
        raise bad(RICH_CONTENT)
    builder = _Builder(ctx, draft)
    media = raw.get("media")
    if media is not None:
        builder.media_entries(media)
    kind = given[0]
    value = raw[kind]
    if kind == "blocks":
        if not isinstance(value, list):
            raise bad('can\'t parse InputRichMessage: Field "blocks" must be an Array')
        blocks = [builder.block(item) for item in value]
        if not blocks:
            raise bad(RICH_CONTENT)
        units, columns = builder.units, builder.columns
    else:
        if not isinstance(value, str):
            raise bad(f'can\'t parse InputRichMessage: Field "{kind}" must be a String')
        if not value.strip():
            raise bad(RICH_EMPTY)
        if THINKING_TAG.search(value) and not draft:
            raise bad(RICH_THINKING)
        for media_id in TG_MEDIA_LINK.findall(value):
            if media_id not in builder.media:
                raise bad(RICH_MEDIA_MISSING)
        convert = markdown_blocks if kind == "markdown" else html_blocks
        blocks, units, columns = convert(value, builder.media_block)
    _check_limits(blocks, units, columns, len(builder.media))
    builder.resolve(blocks)
    rich: dict[str, Any] = {"blocks": blocks}
    if raw.get("is_rtl") in (True, "true"):
        rich["is_rtl"] = True
    return RichResult(rich, copy.deepcopy(raw), flatten(blocks), units)


def _check_limits(blocks: list[Block], units: int, columns: int, media: int) -> None:
    if text_length(blocks) > RICH_MAX_TEXT:
        raise bad(RICH_TOO_LONG)
    if units > RICH_MAX_BLOCKS:
        raise bad(RICH_TOO_MANY_BLOCKS)
    if depth(blocks) > RICH_MAX_DEPTH:
        raise bad(RICH_TOO_DEEP)
    if media > RICH_MAX_MEDIA:
        raise bad(RICH_TOO_MANY_MEDIA)
    if columns > RICH_MAX_COLUMNS:
        raise bad(RICH_TOO_WIDE)


class _Builder:
    """Checks ``media`` and ``blocks`` input; media become placeholders until ``resolve``."""

    def __init__(self, ctx: Context, draft: bool) -> None:
        self.ctx = ctx
        self.draft = draft
        self.media: dict[str, _Media] = {}
        self.inline_media = 0  # media given inside blocks
        self.units = 0
        self.columns = 0
        self._resolved: dict[str, Any] = {}

    def _pending(self, raw: Any) -> _Media:
        if not isinstance(raw, dict) or raw.get("type") not in MEDIA_KINDS:
            raise bad("can't parse InputMedia: unsupported media type")
        value = raw.get("media")
        if self.draft and (
            not isinstance(value, str)
            or value.startswith("attach://")
            or value.lower().startswith(("http://", "https://"))
        ):
            raise bad(RICH_DRAFT_MEDIA)
        kind = str(raw["type"])
        source = file_source(self.ctx, MEDIA_KINDS[kind], value, in_album=True)
        check_upload(MEDIA_KINDS[kind], source)
        return _Media(kind, source, Params(raw))

    def media_entries(self, raw: Any) -> None:
        """``InputRichMessage.media``: ids 1-64 of ``A-Za-z0-9_-``, each an InputMedia."""
        if not isinstance(raw, list):
            raise bad('can\'t parse InputRichMessage: Field "media" must be an Array')
        for entry in raw:
            media_id = entry.get("id") if isinstance(entry, dict) else None
            if not isinstance(media_id, str) or not RICH_MEDIA_ID_PATTERN.match(media_id):
                raise bad(RICH_MEDIA_ID)
            self.media[media_id] = self._pending(entry.get("media"))

    def media_block(self, url: str, alt: str, caption: str | None) -> Block | None:
        """The media block of a ``tg://photo?id=...`` link (Markdown/HTML), or None."""
        parts = urlsplit(url)
        media_id = parse_qs(parts.query).get("id", [""])[0]
        if parts.scheme != "tg" or media_id not in self.media:
            return None
        kind = self.media[media_id].kind
        block: Block = {"type": kind, kind: {PLACEHOLDER: media_id}}
        if caption:
            block["caption"] = {"text": caption}
        return block

    def block(self, raw: Any) -> Block:
        """Check one ``InputRichBlock`` and return its ``RichBlock``."""
        if not isinstance(raw, dict):
            raise bad("can't parse InputRichBlock: expected an Object")
        kind = raw.get("type")
        if not isinstance(kind, str) or kind not in REQUIRED:
            raise bad(f'can\'t parse InputRichBlock: unsupported block type "{kind}"')
        for name in REQUIRED[kind]:
            if raw.get(name) is None:
                raise bad(f"can't parse InputRichBlock: Can't find field \"{name}\"")
        if kind == "thinking" and not self.draft:
            raise bad(RICH_THINKING)
        self.units += 1
        block = copy.deepcopy(raw)
        if kind == "heading" and not (isinstance(raw["size"], int) and 1 <= raw["size"] <= 6):
            raise bad(RICH_HEADING_SIZE)
        if kind in NESTED:
            block["blocks"] = self._blocks(raw["blocks"])
        elif kind == "list":
            block["items"] = self._items(raw["items"])
        elif kind == "table":
            self._table(raw["cells"])
        elif kind == "buttons":
            self._buttons(raw["buttons"])
        elif kind == "map":
            block.setdefault("zoom", 15)
            block.setdefault("width", 600)
            block.setdefault("height", 300)
        elif kind in MEDIA_KINDS:
            key = f"#{self.inline_media}"
            pending = self._pending(raw[kind])
            if pending.kind != kind:
                raise bad(f'can\'t parse InputRichBlock: Field "{kind}" has a wrong media type')
            self.media[key] = pending
            self.inline_media += 1
            block[kind] = {PLACEHOLDER: key}
            if raw[kind].get("has_spoiler") and kind in ("photo", "video", "animation"):
                block["has_spoiler"] = True
        return block

    def _blocks(self, raw: Any) -> list[Block]:
        if not isinstance(raw, list):
            raise bad('can\'t parse InputRichBlock: Field "blocks" must be an Array')
        return [self.block(item) for item in raw]

    def _items(self, raw: Any) -> list[Block]:
        if not isinstance(raw, list):
            raise bad('can\'t parse InputRichBlock: Field "items" must be an Array')
        items: list[Block] = []
        number = 0
        for item in raw:
            if not isinstance(item, dict) or item.get("blocks") is None:
                raise bad("can't parse InputRichBlockListItem: Can't find field \"blocks\"")
            self.units += 1
            out = copy.deepcopy(item)
            out["blocks"] = self._blocks(item["blocks"])
            if item.get("type") or item.get("value") is not None:
                number = int(item["value"]) if item.get("value") is not None else number + 1
                out["label"] = f"{_numeral(number, str(item.get('type') or '1'))}."
            else:
                out["label"] = "•"
            items.append(out)
        return items

    def _table(self, cells: Any) -> None:
        if not isinstance(cells, list) or not all(isinstance(row, list) for row in cells):
            raise bad('can\'t parse InputRichBlock: Field "cells" must be an Array of Arrays')
        for row in cells:
            self.units += 1
            width = 0
            for cell in row:
                if not isinstance(cell, dict):
                    raise bad("can't parse RichBlockTableCell: expected an Object")
                for name, allowed in (("align", ALIGN), ("valign", VALIGN)):
                    if cell.get(name) is None:
                        raise bad(f"can't parse RichBlockTableCell: Can't find field \"{name}\"")
                    if cell[name] not in allowed:
                        raise bad(f'can\'t parse RichBlockTableCell: wrong field "{name}"')
                width += int(cell.get("colspan") or 1)
            self.columns = max(self.columns, width)

    @staticmethod
    def _buttons(buttons: Any) -> None:
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= RICH_MAX_BUTTONS:
            raise bad(RICH_BUTTONS)
        for button in buttons:
            if not isinstance(button, dict) or button.get("text") is None:
                raise bad("can't parse RichMessageButton: Can't find field \"text\"")
            if sum(button.get(action) is not None for action in BUTTON_ACTIONS) != 1:
                raise bad(RICH_BUTTONS)
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise bad("BUTTON_DATA_INVALID")

    def resolve(self, node: Any) -> Any:
        """Replace media placeholders (in place) by stored files' Bot API objects."""
        if isinstance(node, list):
            for index, item in enumerate(node):
                node[index] = self.resolve(item)
            return node
        if not isinstance(node, dict):
            return node
        if PLACEHOLDER in node:
            key = str(node[PLACEHOLDER])
            if key not in self._resolved:
                pending = self.media[key]
                kind = MEDIA_KINDS[pending.kind]
                self._resolved[key] = media_value(self.ctx, kind, pending.source, pending.params)
            return copy.deepcopy(self._resolved[key])
        for key, value in node.items():
            node[key] = self.resolve(value)
        return node


def _numeral(number: int, style: str) -> str:
    if style in ("a", "A") and 1 <= number <= 26:
        letter = chr(ord("a") + number - 1)
        return letter if style == "a" else letter.upper()
    if style in ("i", "I") and 1 <= number < 4000:
        numerals = (
            (1000, "m"),
            (900, "cm"),
            (500, "d"),
            (400, "cd"),
            (100, "c"),
            (90, "xc"),
            (50, "l"),
            (40, "xl"),
            (10, "x"),
            (9, "ix"),
            (5, "v"),
            (4, "iv"),
            (1, "i"),
        )
        out = ""
        for value, symbol in numerals:
            while number >= value:
                out, number = out + symbol, number - value
        return out if style == "i" else out.upper()
    return str(number)


# --- measuring and flattening -------------------------------------------------------------------


def text_length(node: Any, counted: bool = False) -> int:
    """Code points of the text in blocks: RichText strings, formula sources, emoji alt texts."""
    if isinstance(node, str):
        return len(node) if counted else 0
    if isinstance(node, list):
        return sum(text_length(item, counted) for item in node)
    if isinstance(node, dict):
        return sum(text_length(value, name in TEXT_KEYS) for name, value in node.items())
    return 0


def _text_depth(node: Any) -> int:
    if isinstance(node, list):
        return max((_text_depth(item) for item in node), default=0)
    if isinstance(node, dict):
        inner = max(_text_depth(node.get("text")), _text_depth(node.get("credit")))
        return inner + 1 if "type" in node else inner
    return 0


def depth(blocks: Any) -> int:
    """Nesting levels of blocks (a list with its items is one level) and inline formatting."""
    if not isinstance(blocks, list):
        return 0
    deepest = 0
    for block in blocks:
        if not isinstance(block, dict):
            continue
        inner = depth(block.get("blocks"))
        for item in block.get("items") or []:
            inner = max(inner, depth(item.get("blocks")) if isinstance(item, dict) else 0)
        for row in block.get("cells") or []:
            for cell in row if isinstance(row, list) else []:
                inner = max(inner, _text_depth(cell.get("text")) if isinstance(cell, dict) else 0)
        for key in ("text", "credit", "summary", "caption"):
            inner = max(inner, _text_depth(block.get(key)))
        deepest = max(deepest, 1 + inner)
    return deepest


def plain(text: Any) -> str:
    """RichText as plain text."""
    if isinstance(text, str):
        return text
    if isinstance(text, list):
        return "".join(plain(part) for part in text)
    if isinstance(text, dict):
        if "expression" in text:
            return str(text["expression"])
        if "alternative_text" in text:
            return str(text["alternative_text"])
        return plain(text.get("text", ""))
    return ""


def flatten(blocks: list[Block], prefix: str = "") -> str:
    """A readable plain-text version of rich blocks (drafts and the sandbox page show it)."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "list":
            for item in block.get("items", []):
                body = flatten(item.get("blocks", []), "   ").lstrip()
                box = (
                    ("[x] " if item.get("is_checked") else "[ ] ")
                    if item.get("has_checkbox")
                    else ""
                )
                lines.append(f"{item.get('label', '•')} {box}{body}")
        elif kind == "table":
            lines.extend(
                " | ".join(plain(cell.get("text", "")) for cell in row)
                for row in block.get("cells", [])
            )
        elif kind in ("blockquote", "collage", "slideshow", "details"):
            if kind == "details":
                lines.append(plain(block.get("summary", "")))
            lines.append(flatten(block.get("blocks", []), "> " if kind == "blockquote" else ""))
        elif kind == "mathematical_expression":
            lines.append(str(block.get("expression", "")))
        elif kind == "divider":
            lines.append("———")
        elif kind in MEDIA_KINDS:
            caption = plain((block.get("caption") or {}).get("text", ""))
            lines.append(f"[{kind}] {caption}".rstrip())
        else:
            lines.append(plain(block.get("text", "")))
    text = "\n".join(lines)
    return "\n".join(prefix + line for line in text.split("\n")) if prefix else text
