"""A naive Rich HTML to ``RichBlock`` conversion (Python's ``html.parser``, forgiving).

Blocks: ``h1``-``h6``, ``p``, ``pre`` (``<code class="language-x">`` gives the language),
``footer``, ``hr``, ``tg-math-block``, ``tg-thinking``, ``ul``/``ol``/``li`` (``start``,
``value``; ``<input type="checkbox" [checked]>`` makes a task item), ``blockquote``/``aside``
(both ``blockquote``), ``details``/``summary``, ``table``/``tr``/``th``/``td`` (``align``,
``valign``, ``colspan``, ``rowspan``), media tags with a ``src`` (through the caller's hook).
Inline: ``b strong i em u ins s strike del code mark sub sup tg-spoiler a tg-math tg-emoji
tg-time``. Other tags (``figure``, ``tg-collage``, ``tg-button`` ...) are transparent: their
content is kept, the structure is not. Text outside any block becomes a paragraph. ``units``
counts blocks as ``rich_markdown`` does; ``columns`` is the widest row (colspans added up).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from .rich_markdown import Block, MediaHook, link, rich_text

TEXT_BLOCKS = {
    **{f"h{size}": "heading" for size in range(1, 7)},
    "p": "paragraph",
    "pre": "pre",
    "footer": "footer",
    "tg-math-block": "mathematical_expression",
    "tg-thinking": "thinking",
}
INLINE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "mark": "marked",
    "sub": "subscript",
    "sup": "superscript",
    "tg-spoiler": "spoiler",
    "a": "a",
    "tg-math": "tg-math",
    "tg-emoji": "tg-emoji",
    "tg-time": "tg-time",
}
MEDIA_TAGS = frozenset({"img", "video", "audio", "tg-document"})
CONTAINERS = frozenset({"blockquote", "aside", "details", "li"})


@dataclass
class _Frame:
    """An open inline element (or the root of a text block) collecting its parts."""

    tag: str
    attrs: dict[str, str]
    parts: list[Any] = field(default_factory=list)


@dataclass
class _TextBlock:
    """An open block whose content is RichText (a paragraph, a heading, a table cell ...)."""

    tag: str
    attrs: dict[str, str]
    frames: list[_Frame]
    implicit: bool = False


class HtmlConverter(HTMLParser):
    """Feed the source, then read ``blocks``, ``units`` and ``columns``."""

    def __init__(self, media: MediaHook) -> None:
        super().__init__(convert_charrefs=True)
        self.media = media
        self.blocks: list[Block] = []
        self.units = 0
        self.columns = 0
        self._containers: list[Block] = []  # open blockquote/details/list item
        self._lists: list[Block] = []
        self._tables: list[Block] = []
        self._text: _TextBlock | None = None

    # --- where blocks go ----------------------------------------------------------------------

    def _add(self, block: Block) -> None:
        self.units += 1
        target = self._containers[-1]["blocks"] if self._containers else self.blocks
        target.append(block)

    def _open_text(self, tag: str, attrs: dict[str, str], *, implicit: bool = False) -> None:
        self._close_text()
        self._text = _TextBlock(tag, attrs, [_Frame(tag, attrs)], implicit)

    def _close_text(self) -> None:
        text, self._text = self._text, None
        if text is None:
            return
        while len(text.frames) > 1:
            frame = text.frames.pop()
            text.frames[-1].parts.append(_inline_node(frame))
        parts = text.frames[0].parts
        if text.tag != "pre":
            parts = _strip_ends(parts)
        content = rich_text(parts)
        kind = TEXT_BLOCKS.get(text.tag, "paragraph")
        if text.tag in ("th", "td"):
            self._cell(text, content)
        elif text.tag == "summary" and self._containers:
            self._containers[-1]["summary"] = content
        elif kind == "mathematical_expression":
            self._add({"type": kind, "expression": _plain(content)})
        elif text.implicit and content == "":
            return
        elif kind == "heading":
            self._add({"type": kind, "size": int(text.tag[1]), "text": content})
        elif kind == "pre":
            block: Block = {"type": "pre", "text": _plain(content)}
            if text.attrs.get("language"):
                block["language"] = text.attrs["language"]
            self._add(block)
        else:
            self._add({"type": kind, "text": content})
            first_in_item = text.implicit and self._containers and self._in_item_first()
            if first_in_item:
                self.units -= 1

    def _in_item_first(self) -> bool:
        container = self._containers[-1]
        return "label" in container and len(container["blocks"]) == 1

    def _cell(self, text: _TextBlock, content: Any) -> None:
        if not self._tables or not self._tables[-1]["cells"]:
            return
        attrs = text.attrs
        cell: Block = {
            "align": attrs.get("align", "left"),
            "valign": attrs.get("valign", "top"),
            "text": content,
        }
        if text.tag == "th":
            cell["is_header"] = True
        for key in ("colspan", "rowspan"):
            if attrs.get(key, "").isdigit():
                cell[key] = int(attrs[key])
        self._tables[-1]["cells"][-1].append(cell)

    # --- the parser's callbacks ---------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in INLINE_TAGS and not (tag == "code" and self._text and self._text.tag == "pre"):
            if self._text is None:
                self._open_text("p", {}, implicit=True)
            assert self._text is not None
            self._text.frames.append(_Frame(tag, values))
        elif tag == "code" and self._text is not None:
            language = values.get("class", "").removeprefix("language-")
            if language:
                self._text.attrs["language"] = language
        elif tag in TEXT_BLOCKS or tag in ("summary", "th", "td"):
            self._open_text(tag, values)
        elif tag == "br":
            self.handle_data("\n")
        elif tag == "hr":
            self._close_text()
            self._add({"type": "divider"})
        elif tag == "input" and values.get("type") == "checkbox" and self._containers:
            self._containers[-1]["has_checkbox"] = True
            self._containers[-1]["is_checked"] = "checked" in values
        elif tag in MEDIA_TAGS:
            self._media(tag, values)
        else:
            self._start_structure(tag, values)

    def _start_structure(self, tag: str, values: dict[str, str]) -> None:
        if tag in ("ul", "ol"):
            self._close_text()
            start = values.get("start", "")
            first = int(start) if start.isdigit() else 1
            self._lists.append({"items": [], "_ordered": tag == "ol", "_next": first})
        elif tag == "li":
            self._close_text()
            item: Block = {"label": "•", "blocks": []}
            if self._lists and self._lists[-1]["_ordered"]:
                owner = self._lists[-1]
                number = (
                    int(values["value"]) if values.get("value", "").isdigit() else owner["_next"]
                )
                owner["_next"] = number + 1
                item["label"] = f"{number}."
            self._containers.append(item)
        elif tag in ("blockquote", "aside"):
            self._close_text()
            self._containers.append({"type": "blockquote", "blocks": []})
        elif tag == "details":
            self._close_text()
            self._containers.append({"type": "details", "summary": "", "blocks": []})
        elif tag == "table":
            self._close_text()
            self._tables.append({"type": "table", "cells": []})
        elif tag == "tr" and self._tables:
            self._close_text()
            self._tables[-1]["cells"].append([])

    def handle_endtag(self, tag: str) -> None:
        text = self._text
        if text is not None and tag in INLINE_TAGS and len(text.frames) > 1:
            for depth in range(len(text.frames) - 1, 0, -1):
                if text.frames[depth].tag == tag:
                    while len(text.frames) > depth:
                        frame = text.frames.pop()
                        text.frames[-1].parts.append(_inline_node(frame))
                    return
        if text is not None and tag == text.tag:
            self._close_text()
        elif tag in ("ul", "ol") and self._lists:
            self._close_text()
            block = self._lists.pop()
            self._add({"type": "list", "items": block["items"]})
        elif tag in CONTAINERS and self._containers:
            self._close_text()
            self._end_container()
        elif tag == "table" and self._tables:
            self._close_text()
            table = self._tables.pop()
            self.columns = max(
                [self.columns]
                + [sum(int(cell.get("colspan", 1)) for cell in row) for row in table["cells"]]
            )
            self.units += len(table["cells"]) - 1
            self._add(table)

    def _end_container(self) -> None:
        block = self._containers.pop()
        if "label" in block:  # a list item
            self.units += 1
            if self._lists:
                self._lists[-1]["items"].append(block)
            return
        self._add(block)

    def handle_data(self, data: str) -> None:
        text = self._text
        if text is None or text.tag != "pre":
            data = re.sub(r"\s+", " ", data)
        if self._text is None:
            if not data.strip() or (self._tables and not self._containers):
                return
            self._open_text("p", {}, implicit=True)
        assert self._text is not None
        self._text.frames[-1].parts.append(data)

    def _media(self, tag: str, values: dict[str, str]) -> None:
        source = values.get("src", "")
        if tag == "img" and source.startswith("tg://emoji"):
            if self._text is None:
                self._open_text("p", {}, implicit=True)
            assert self._text is not None
            emoji_id = source.partition("id=")[2].partition("&")[0]
            self._text.frames[-1].parts.append(
                {
                    "type": "custom_emoji",
                    "custom_emoji_id": emoji_id,
                    "alternative_text": values.get("alt", ""),
                }
            )
            return
        self._close_text()
        block = self.media(source, values.get("alt", ""), None)
        if block is None:
            self._add({"type": "paragraph", "text": link(values.get("alt") or source, source)})
        else:
            self._add(block)

    def finish(self) -> None:
        """Close whatever the source left open."""
        self.close()
        self._close_text()
        while self._containers:
            self._end_container()
        while self._lists:
            self._add({"type": "list", "items": self._lists.pop()["items"]})
        while self._tables:
            self._add(self._tables.pop())


def _plain(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(_plain(part) for part in content)
    if isinstance(content, dict):
        return _plain(content.get("text", content.get("expression", "")))
    return ""


def _strip_ends(parts: list[Any]) -> list[Any]:
    parts = list(parts)
    if parts and isinstance(parts[0], str):
        parts[0] = parts[0].lstrip()
    if parts and isinstance(parts[-1], str):
        parts[-1] = parts[-1].rstrip()
    return parts


def _inline_node(frame: _Frame) -> Any:
    content = rich_text(frame.parts)
    kind, attrs = INLINE_TAGS.get(frame.tag, ""), frame.attrs
    if kind == "a":
        return link(content, attrs["href"]) if attrs.get("href") else content
    if kind == "tg-math":
        return {"type": "mathematical_expression", "expression": _plain(content)}
    if kind == "tg-emoji":
        return {
            "type": "custom_emoji",
            "custom_emoji_id": attrs.get("emoji-id", ""),
            "alternative_text": _plain(content),
        }
    if kind == "tg-time":
        unix = attrs.get("unix", "")
        if not unix.isdigit():
            return content
        return {
            "type": "date_time",
            "text": content,
            "unix_time": int(unix),
            "date_time_format": attrs.get("format", ""),
        }
    if kind:
        return {"type": kind, "text": content}
    return content


def html_blocks(source: str, media: MediaHook) -> tuple[list[Block], int, int]:
    """``(blocks, units, columns)`` of a Rich HTML source (see the module docstring)."""
    converter = HtmlConverter(media)
    converter.feed(source)
    converter.finish()
    return converter.blocks, converter.units, converter.columns
