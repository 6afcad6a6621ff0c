"""An answer's Markdown as Telegram rich messages (Bot API 10.1): measured against Telegram's
limits before it is sent, and split at block boundaries where one message would not hold it, so
an answer is never refused for its size.

Telegram's limits per rich message: 32,768 characters (formula sources included), 500 blocks
(nested blocks, list items and table rows count), 20 table columns, 16 levels of nesting. The
text is measured on the Markdown source, which is never shorter than what Telegram counts; the
blocks with markdown-it (CommonMark and GFM tables), counting every block token, which is never
fewer than Telegram's count. A table wider than 20 columns is sent as a code block.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

log = logging.getLogger(__name__)

TEXT_LIMIT = 32768
BLOCK_LIMIT = 500
COLUMN_LIMIT = 20

# Tokens that are (or open) a block: what Telegram counts, and a little more.
_BLOCKS = frozenset(
    {
        "paragraph_open",
        "heading_open",
        "blockquote_open",
        "bullet_list_open",
        "ordered_list_open",
        "list_item_open",
        "table_open",
        "tr_open",
        "fence",
        "code_block",
        "hr",
        "html_block",
    }
)


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


@dataclass(frozen=True, slots=True)
class Block:
    """One top-level block of the answer: its source and what it costs."""

    source: str
    blocks: int  # block tokens inside, itself included
    columns: int  # widest table row (0: not a table)
    kind: str  # the opening token's type

    @property
    def size(self) -> int:
        return len(self.source)


def top_level_blocks(markdown: str) -> list[Block]:
    """The answer as top-level blocks, each with its trailing blank lines (nothing is lost)."""
    lines = markdown.splitlines(keepends=True)
    tokens = _parser().parse(markdown)
    starts: list[tuple[int, int]] = []  # (token index, first line) of each top-level block
    for index, token in enumerate(tokens):
        if token.level == 0 and token.nesting >= 0 and token.map is not None:  # opens a block
            starts.append((index, token.map[0]))
    found: list[Block] = []
    for number, (index, first) in enumerate(starts):
        next_index, next_line = (
            starts[number + 1] if number + 1 < len(starts) else (len(tokens), len(lines))
        )
        first = 0 if number == 0 else first
        inside = tokens[index:next_index]
        found.append(
            Block(
                source="".join(lines[first:next_line]),
                blocks=sum(1 for t in inside if t.type in _BLOCKS),
                columns=_widest_row(inside),
                kind=tokens[index].type,
            )
        )
    if not found and markdown.strip():
        found.append(Block(markdown, 1, 0, "paragraph_open"))
    return found


def _widest_row(tokens: list[Token]) -> int:
    widest = cells = 0
    for token in tokens:
        if token.type == "tr_open":
            cells = 0
        elif token.type in ("th_open", "td_open"):
            cells += 1
            widest = max(widest, cells)
    return widest


def rich_chunks(
    markdown: str, *, text_limit: int = TEXT_LIMIT, block_limit: int = BLOCK_LIMIT
) -> list[str]:
    """The answer as the sources of one or more rich messages, each within the limits, split
    only between blocks (a block too big alone is cut between its lines)."""
    pieces: list[Block] = []
    for block in top_level_blocks(markdown):
        if block.columns > COLUMN_LIMIT:
            block = _as_code(block)
        if block.size <= text_limit and block.blocks <= block_limit:
            pieces.append(block)
        else:
            pieces.extend(_cut(block, text_limit, block_limit))
    chunks: list[str] = []
    current: list[str] = []
    size = blocks = 0
    for piece in pieces:
        if current and (size + piece.size > text_limit or blocks + piece.blocks > block_limit):
            chunks.append("".join(current))
            current, size, blocks = [], 0, 0
        current.append(piece.source)
        size += piece.size
        blocks += piece.blocks
    if current:
        chunks.append("".join(current))
    return [chunk.strip("\n") + "\n" for chunk in chunks if chunk.strip()]


def _as_code(block: Block) -> Block:
    """A table too wide for Telegram: its rows as they are, in a code block."""
    body = block.source.rstrip("\n")
    source = f"```\n{body}\n```\n\n"
    return Block(source, 1, 0, "fence")


def _cut(block: Block, text_limit: int, block_limit: int) -> list[Block]:
    """A block too big for one message, cut between lines: a code block is closed and opened
    again around each cut, a table repeats its header, a list is cut between its items."""
    lines = block.source.rstrip("\n").split("\n")
    prefix: list[str] = []
    suffix: list[str] = []
    if block.kind == "fence":
        prefix, lines, suffix = [lines[0]], lines[1:-1], [lines[-1]]
    elif block.kind == "table_open" and len(lines) > 2:
        prefix, lines = lines[:2], lines[2:]
    frame = sum(len(line) + 1 for line in prefix + suffix)
    budget = max(1, text_limit - frame - 2)
    per_line = max(1, block.blocks // max(1, len(lines)))
    line_budget = max(1, block_limit // (per_line + 1))
    pieces: list[Block] = []
    current: list[str] = []
    size = 0
    for line in _short_lines(lines, budget):
        if current and (size + len(line) + 1 > budget or len(current) >= line_budget):
            pieces.append(_framed(prefix, current, suffix, block.kind))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        pieces.append(_framed(prefix, current, suffix, block.kind))
    return pieces


def _framed(prefix: list[str], body: list[str], suffix: list[str], kind: str) -> Block:
    source = "\n".join([*prefix, *body, *suffix]) + "\n\n"
    blocks = sum(b.blocks for b in top_level_blocks(source))  # measured again, as sent
    return Block(source, blocks, 0, kind)


def _short_lines(lines: list[str], budget: int) -> list[str]:
    """Lines no longer than ``budget``: a longer one is cut at its last space before it."""
    short: list[str] = []
    for line in lines:
        while len(line) > budget:
            cut = line.rfind(" ", 0, budget)
            cut = cut if cut > budget // 3 else budget
            short.append(line[:cut])
            line = line[cut:].lstrip(" ")
        short.append(line)
    return short


class RichMessages:
    """Whether answers go out as rich messages. On by default (``RICH_MESSAGES``); off for the
    rest of the process once the Bot API server shows it has no rich messages (a self-hosted
    server older than 10.1 answers "method not found"), so no answer pays a failed request."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.available = enabled

    def missing(self, why: str) -> None:
        if self.available:
            log.warning(
                "the Bot API server has no rich messages (%s): answers go out as formatted "
                "text from now on",
                why,
            )
        self.available = False
