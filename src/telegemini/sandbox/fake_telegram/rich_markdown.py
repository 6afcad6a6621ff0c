"""A naive Rich Markdown to ``RichBlock`` conversion, enough for a fake's answers and limits.

Telegram parses a rich message's Markdown on its servers and nobody outside knows its exact
rules, so the fake converts line by line, the way most Markdown reads:

- ``#`` ... ``######`` headings (and setext ``===``/``---`` underlines) become ``heading`` blocks;
- GFM pipe tables (a header row, then a ``|---|:-:|`` row) become ``table`` blocks whose cells
  carry the required ``align`` (from the delimiter row) and ``valign`` (always ``top``); the
  header row's cells are ``is_header`` and its pipes give the table's column count;
- ``$$...$$`` (one line or several) and fenced ```` ```math ```` become
  ``mathematical_expression``; other fenced code becomes ``pre`` with its ``language``;
- ``-``/``*``/``+`` and ``1.``/``1)`` lists (nested by indentation, ``[ ]``/``[x]`` task items)
  become ``list`` blocks whose items have a ``label`` (``•``, ``1.`` ...);
- ``>`` quotes become ``blockquote`` (nested ``>>`` too); ``---``, ``***`` become ``divider``;
- ``<tg-thinking>...</tg-thinking>`` becomes ``thinking`` (the caller allows it in drafts only);
- ``<details [open]><summary>S</summary>`` ... ``</details>`` becomes ``details`` (summary ``S``,
  the Markdown inside converted to its blocks), as the spec parses Markdown inside details;
- a line holding only ``![alt](url "caption")`` is a media block when the caller's hook makes
  one (a ``tg://photo?id=`` ... link to ``media``), else a paragraph with a link;
- everything else (other HTML, footnote definitions, indented code) is a
  ``paragraph``.

Inline: ``**bold**``/``__bold__``, ``*italic*``/``_italic_``, ``~~strike~~``, ``==marked==``,
``||spoiler||``, `` `code` ``, ``$math$``, ``[text](url)`` (``mailto:``/``tel:`` too),
``![alt](tg://emoji?id=...)`` and ``![t](tg://time?unix=...&format=...)``, backslash escapes.
No entity detection (URLs, @mentions ... stay plain text). ``units`` is the simple block count
the fake checks against the 500-block limit: headings, paragraphs (not the one that holds a
list item's text), list items, table rows, code and math blocks, quotes, dividers and media.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

Block = dict[str, Any]
MediaHook = Callable[[str, str, str | None], Block | None]  # (url, alt, caption) -> block

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)")
HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
HR = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
QUOTE = re.compile(r"^ {0,3}> ?(.*)$")
LIST_ITEM = re.compile(r"^( *)([-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?$")
TASK = re.compile(r"^\[([ xX])\][ \t]+(.*)$", re.S)
TABLE_DELIMITER = re.compile(r"^ *\|? *:?-+:? *(\| *:?-+:? *)*\|? *$")
IMAGE_LINE = re.compile(r'^ {0,3}!\[([^\]]*)\]\((\S+?)(?:\s+"([^"]*)")?\)\s*$')
SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
THINKING_OPEN = re.compile(r"^\s*<tg-thinking>", re.I)
THINKING_CLOSE = re.compile(r"</tg-thinking>", re.I)
DETAILS_OPEN = re.compile(r"^\s*<details(\s+open)?\s*>\s*(?:<summary>(.*?)</summary>)?(.*)$", re.I)
DETAILS_CLOSE = re.compile(r"^\s*</details>\s*$", re.I)
INLINE = re.compile(
    r"""
    (?P<esc>\\[!-/:-@\[-`{-~])
    |(?P<ticks>`+)(?P<code>.+?)(?P=ticks)
    |!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)(?:\s+"[^"]*")?\)
    |\[(?P<label>[^\]]+)\]\((?P<href>[^)\s]+)(?:\s+"[^"]*")?\)
    |\$(?!\s)(?P<math>[^$\n]+?)(?<!\s)\$
    |\*\*(?P<bold>.+?)\*\*
    |__(?P<bold2>.+?)__
    |~~(?P<strikethrough>.+?)~~
    |==(?P<marked>.+?)==
    |\|\|(?P<spoiler>.+?)\|\|
    |\*(?P<italic>[^\s*](?:.*?[^\s*])?)\*
    |(?<!\w)_(?P<italic2>[^\s_](?:.*?[^\s_])?)_(?!\w)
    """,
    re.X | re.S,
)
_WRAPPERS = {
    "bold": "bold",
    "bold2": "bold",
    "strikethrough": "strikethrough",
    "marked": "marked",
    "spoiler": "spoiler",
    "italic": "italic",
    "italic2": "italic",
}


def rich_text(parts: list[Any]) -> Any:
    """Adjacent strings merged; one string stays a string, nothing is ``""``."""
    merged: list[Any] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif part != "":
            merged.append(part)
    if not merged:
        return ""
    return merged[0] if len(merged) == 1 and isinstance(merged[0], str) else merged


def inline(text: str) -> Any:
    """Markdown inline formatting as RichText (a string, an object or a list of them)."""
    parts: list[Any] = []
    position = 0
    for match in INLINE.finditer(text):
        parts.append(text[position : match.start()])
        parts.append(_inline_node(match))
        position = match.end()
    parts.append(text[position:])
    return rich_text(parts)


def _inline_node(match: re.Match[str]) -> Any:
    groups = match.groupdict()
    if groups["esc"] is not None:
        return groups["esc"][1]
    if groups["code"] is not None:
        return {"type": "code", "text": groups["code"]}
    if groups["src"] is not None:
        return _inline_image(groups["alt"] or "", groups["src"])
    if groups["href"] is not None:
        return link(inline(groups["label"]), groups["href"])
    if groups["math"] is not None:
        return {"type": "mathematical_expression", "expression": groups["math"]}
    for name, kind in _WRAPPERS.items():
        if groups[name] is not None:
            return {"type": kind, "text": inline(groups[name])}
    return match.group(0)  # pragma: no cover - every alternative is handled above


def link(text: Any, href: str) -> dict[str, Any]:
    """A link as RichText: ``mailto:`` and ``tel:`` become e-mail and phone entities."""
    if href.lower().startswith("mailto:"):
        return {"type": "email_address", "text": text, "email_address": href[7:]}
    if href.lower().startswith("tel:"):
        return {"type": "phone_number", "text": text, "phone_number": href[4:]}
    return {"type": "url", "text": text, "url": href}


def _inline_image(alt: str, src: str) -> Any:
    parts = urlsplit(src)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    if parts.scheme == "tg" and parts.netloc == "emoji" and query.get("id"):
        return {"type": "custom_emoji", "custom_emoji_id": query["id"], "alternative_text": alt}
    if parts.scheme == "tg" and parts.netloc == "time" and query.get("unix", "").isdigit():
        return {
            "type": "date_time",
            "text": alt,
            "unix_time": int(query["unix"]),
            "date_time_format": query.get("format", ""),
        }
    return link(alt or src, src)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def split_row(line: str) -> list[str]:
    """The cells of a pipe-table row (outer pipes optional, ``\\|`` escapes a pipe)."""
    row = line.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", row)]


def _align(delimiter: str) -> str:
    if delimiter.startswith(":") and delimiter.endswith(":"):
        return "center"
    return "right" if delimiter.endswith(":") else "left"


class MarkdownConverter:
    """One conversion: ``blocks(lines)`` is recursive (quotes, list items)."""

    def __init__(self, media: MediaHook) -> None:
        self.media = media
        self.units = 0
        self.columns = 0

    def blocks(self, lines: list[str]) -> list[Block]:
        """The blocks of some Markdown lines."""
        out: list[Block] = []
        index = 0
        parsers: tuple[Callable[[list[str], int], tuple[Block, int] | None], ...] = (
            self._fence,
            self._math,
            self._thinking,
            self._details,
            self._heading,
            self._divider,
            self._table,
            self._quote,
            self._list,
            self._image,
            self._paragraph,
        )
        while index < len(lines):
            if not lines[index].strip():
                index += 1
                continue
            for parser in parsers:
                found = parser(lines, index)
                if found is not None:
                    block, index = found
                    out.append(block)
                    break
        return out

    def _starts_block(self, lines: list[str], index: int) -> bool:
        line = lines[index]
        return bool(
            FENCE.match(line)
            or line.strip().startswith("$$")
            or THINKING_OPEN.match(line)
            or DETAILS_OPEN.match(line)
            or HEADING.match(line)
            or HR.match(line)
            or QUOTE.match(line)
            or LIST_ITEM.match(line)
            or self._table_start(lines, index)
        )

    @staticmethod
    def _table_start(lines: list[str], index: int) -> bool:
        if "|" not in lines[index] or index + 1 >= len(lines):
            return False
        if not TABLE_DELIMITER.match(lines[index + 1]) or "-" not in lines[index + 1]:
            return False
        return len(split_row(lines[index])) == len(split_row(lines[index + 1]))

    def _fence(self, lines: list[str], index: int) -> tuple[Block, int] | None:
        match = FENCE.match(lines[index])
        if match is None:
            return None
        marker, language = match.group(1), match.group(2)
        closing = re.compile(rf"^ {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}\s*$")
        body: list[str] = []
        index += 1
        while index < len(lines) and not closing.match(lines[index]):
            body.append(lines[index])
            index += 1
        self.units += 1
        code = "\n".join(body)
        if language.lower() == "math":
            return {"type": "mathematical_expression", "expression": code.strip()}, index + 1
        block: Block = {"type": "pre", "text": code}
        if language:
            block["language"] = language
        return block, index + 1

    def _math(self, lines: list[str], index: int) -> tuple[Block, int] | None:
        stripped = lines[index].strip()
        if not stripped.startswith("$$"):
            return None
        rest = stripped[2:]
        if rest.endswith("$$"):
            expression, index = rest[:-2], index + 1
        else:
            body = [rest] if rest else []
            index += 1
            while index < len(lines):
                line = lines[index].rstrip()
                index += 1
                if line.endswith("$$"):
                    body.append(line[:-2])
                    break
                body.append(line)
            expression = "\n".join(body)
        self.units += 1
        return {"type": "mathematical_expression", "expression": expression.strip()}, index

    def _thinking(self, lines: list[str], index: int) -> tuple[Block, int] | None:
        if not THINKING_OPEN.match(lines[index]):
            return None
        body: list[str] = []
        while index < len(lines):
            line = lines[index]
            index += 1
            body.append(line)
            if THINKING_CLOSE.search(line):
                break
        text = "\n".join(body).strip()
        text = THINKING_CLOSE.split(THINKING_OPEN.sub("", text, count=1), maxsplit=1)[0]
        self.units += 1
        return {"type": "thinking", "text": inline(text.strip())}, index

    def _details(self, lines: list[str], index: int) -> tuple[Block, int] | None:
        found = DETAILS_OPEN.match(lines[index])
        if found is None:
            return None
        body = [found.group(3)] if found.group(3).strip() else []
        depth = 1
        index += 1
        while index < len(lines):
            line = lines[index]
            index += 1
            if DETAILS_OPEN.match(line):
                depth += 1
            elif DETAILS_CLOSE.match(line):
                depth -= 1
                if depth == 0:
                    break
            body.append(line)
        self.units += 1
        block: Block = {
            "type": "details",
            "summary": inline((found.group(2) or "").strip()),
            "blocks": self.blocks(body),
        }
        if found.group(1):
            block["is_open"] = True
        return block, index

    def _heading(self, lines: list[str], index: int) -> tuple[Block, int] | None:
        match = HEADING.match(lines[index])
        if match is None:
            return None
        self.units += 1
        block = {
            "type": "heading",
            "size": len(match.group(1)),
            "text": inline(match.group(2) or ""),
        }
        return block, index + 1

    def _divider(self, lines: list[str], index: int) -> tuple[Block, int] | None:
        if not HR.match(lines[index]):
            return None
        self.units += 1
        return {"type": "divider"}, index + 1

    def _table(self, lines: list[str], index: int) -> tuple[Block, int] | None:
        if not self._table_start(lines, index):
            return None
        header = split_row(lines[index])
        aligns = [_align(cell) for cell in split_row(lines[index + 1])]
        self.columns = max(self.columns, len(header))
        rows = [header]
        index += 2
        while index < len(lines) and lines[index].strip() and "|" in lines[index]:
            cells = split_row(lines[index])
            rows.append((cells + [""] * len(header))[: len(header)])
            index += 1
        self.units += len(rows)
        cells_out = [
            [
                {
                    "align": aligns[column],
                    "valign": "top",
                    "text": inline(text),
                    **({"is_header": True} if row_number == 0 else {}),
                }
                for column, text in enumerate(row)
            ]
            for row_number, row in enumerate(rows)
        ]
        return {"type": "table", "cells": cells_out}, index

    def _quote(self, lines: list[str], index: int) -> tuple[Block, int] | None:
        if QUOTE.match(lines[index]) is None:
            return None
        body: list[str] = []
        while index < len(lines) and (match := QUOTE.match(lines[index])) is not None:
            body.append(match.group(1))
            index += 1
        self.units += 1
        return {"type": "blockquote", "blocks": self.blocks(body)}, index

    def _list(self, lines: list[str], index: int) -> tuple[Block, int] | None:
        first = LIST_ITEM.match(lines[index])
        if first is None:
            return None
        indent, ordered = len(first.group(1)), first.group(2)[0].isdigit()
        number = int(first.group(2)[:-1]) if ordered else 0
        items: list[Block] = []
        while index < len(lines):
            match = LIST_ITEM.match(lines[index])
            if (
                match is None
                or len(match.group(1)) != indent
                or match.group(2)[0].isdigit() != ordered
                or HR.match(lines[index])
            ):
                break
            content_indent = indent + len(match.group(2)) + 1
            body = [match.group(3) or ""]
            index += 1
            while index < len(lines):
                line = lines[index]
                if not line.strip():
                    ahead = index + 1
                    while ahead < len(lines) and not lines[ahead].strip():
                        ahead += 1
                    if ahead < len(lines) and _indent(lines[ahead]) > indent:
                        body.extend([""] * (ahead - index))
                        index = ahead
                        continue
                    if ahead < len(lines) and LIST_ITEM.match(lines[ahead]):
                        index = ahead  # a loose list: the next item follows a blank line
                    break
                if _indent(line) > indent:
                    body.append(line[min(_indent(line), content_indent) :])
                elif self._starts_block(lines, index):
                    break
                else:
                    body.append(line.strip())  # a lazy continuation line
                index += 1
            label = f"{number + len(items)}{first.group(2)[-1]}" if ordered else "•"
            items.append(self._item(body, label))
        return {"type": "list", "items": items}, index

    def _item(self, body: list[str], label: str) -> Block:
        item: Block = {"label": label}
        task = TASK.match(body[0]) if body else None
        if task is not None:
            item["has_checkbox"] = True
            item["is_checked"] = task.group(1) != " "
            body = [task.group(2), *body[1:]]
        blocks = self.blocks(body)
        if blocks and blocks[0]["type"] == "paragraph":
            self.units -= 1  # the item's own text is not a block of its own
        self.units += 1
        item["blocks"] = blocks
        return item

    def _image(self, lines: list[str], index: int) -> tuple[Block, int] | None:
        match = IMAGE_LINE.match(lines[index])
        if match is None:
            return None
        block = self.media(match.group(2), match.group(1), match.group(3))
        if block is None:
            return None
        self.units += 1
        return block, index + 1

    def _paragraph(self, lines: list[str], index: int) -> tuple[Block, int]:
        body = [lines[index].strip()]
        index += 1
        while index < len(lines) and lines[index].strip():
            setext = SETEXT.match(lines[index])
            if setext is not None:
                self.units += 1
                size = 1 if setext.group(1)[0] == "=" else 2
                return {"type": "heading", "size": size, "text": inline(" ".join(body))}, index + 1
            if self._starts_block(lines, index):
                break
            body.append(lines[index].strip())
            index += 1
        self.units += 1
        return {"type": "paragraph", "text": inline("\n".join(body))}, index


def markdown_blocks(source: str, media: MediaHook) -> tuple[list[Block], int, int]:
    """``(blocks, units, columns)`` of a Rich Markdown source (see the module docstring)."""
    converter = MarkdownConverter(media)
    lines = [line.expandtabs(4) for line in source.replace("\r\n", "\n").split("\n")]
    blocks = converter.blocks(lines)
    return blocks, converter.units, converter.columns
