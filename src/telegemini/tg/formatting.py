"""Model Markdown → Telegram text + entities, split into messages Telegram accepts.

We send entities rather than a MarkdownV2 string: telegramify-markdown converts the model's
Markdown, so no escaping is hand-rolled and a stray ``.`` or ``_`` can never break a message.
"""

from __future__ import annotations

from dataclasses import dataclass

import telegramify_markdown

from telegemini.core.text import utf16_len

__all__ = ["Chunk", "Entity", "render_markdown", "render_plain", "split_text", "utf16_len"]

TEXT_LIMIT = 4096  # UTF-16 code units per message, after entity parsing

# Split preferences, best first: paragraph, line, sentence, clause, word.
_BREAKS: tuple[tuple[str, ...], ...] = (
    ("\n\n",),
    ("\n",),
    (". ", "! ", "? ", "。", "！", "？", "… "),
    ("; ", ", ", "，", "；"),
    (" ",),
)


@dataclass(frozen=True, slots=True)
class Entity:
    type: str
    offset: int  # UTF-16 code units
    length: int
    url: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Chunk:
    text: str
    entities: tuple[Entity, ...] = ()


def markdown_to_entities(markdown: str) -> tuple[str, list[Entity]]:
    text, raw = telegramify_markdown.convert(markdown)
    entities = [
        Entity(type=e.type, offset=e.offset, length=e.length, url=e.url, language=e.language)
        for e in raw
        if e.length > 0
    ]
    return text, entities


def _utf16_offsets(text: str) -> list[int]:
    """offsets[i] = UTF-16 offset of text[i]; offsets[len(text)] = total length."""
    offsets = [0] * (len(text) + 1)
    total = 0
    for index, char in enumerate(text):
        offsets[index] = total
        total += 2 if ord(char) > 0xFFFF else 1
    offsets[len(text)] = total
    return offsets


def _cut(text: str, start: int, offsets: list[int], limit: int) -> int:
    """Index where the chunk starting at ``start`` ends: the best break within ``limit``."""
    budget = offsets[start] + limit
    hard = start
    while hard < len(text) and offsets[hard + 1] <= budget:
        hard += 1
    if hard >= len(text):
        return len(text)
    window = text[start:hard]
    # Never accept a break in the first third: that would make a tiny message.
    floor = len(window) // 3
    for separators in _BREAKS:
        best = max(window.rfind(sep) + len(sep) for sep in separators)
        if best - 1 > floor:
            return start + best
    return max(hard, start + 1)


def split_text(text: str, entities: list[Entity], limit: int = TEXT_LIMIT) -> list[Chunk]:
    """Split into chunks of at most ``limit`` UTF-16 units, at paragraph, then line, sentence,
    clause and word boundaries; entities are clipped into the chunks they cover."""
    offsets = _utf16_offsets(text)
    chunks: list[Chunk] = []
    start = 0
    while start < len(text):
        end = _cut(text, start, offsets, limit)
        lo, hi = start, end
        while lo < hi and text[lo].isspace():
            lo += 1
        while hi > lo and text[hi - 1].isspace():
            hi -= 1
        if lo < hi:
            chunks.append(Chunk(text[lo:hi], tuple(_clip(entities, offsets[lo], offsets[hi]))))
        start = end
    return chunks


def _clip(entities: list[Entity], start: int, end: int) -> list[Entity]:
    clipped = []
    for entity in entities:
        lo = max(entity.offset, start)
        hi = min(entity.offset + entity.length, end)
        if hi > lo:
            clipped.append(
                Entity(entity.type, lo - start, hi - lo, url=entity.url, language=entity.language)
            )
    return clipped


def render_markdown(markdown: str, limit: int = TEXT_LIMIT) -> list[Chunk]:
    text, entities = markdown_to_entities(markdown)
    if not text.strip():
        # Markdown that renders to nothing (e.g. only an image link): show the source instead.
        return split_text(markdown, [], limit)
    return split_text(text, entities, limit)


def render_plain(text: str, limit: int = TEXT_LIMIT) -> list[Chunk]:
    return split_text(text, [], limit)
