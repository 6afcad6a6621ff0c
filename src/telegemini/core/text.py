"""Text measured the way Telegram measures it: in UTF-16 code units (an emoji or a rare CJK
character outside the Basic Multilingual Plane counts twice), and cut without splitting one."""

from __future__ import annotations

ELLIPSIS = "…"


def utf16_len(text: str) -> int:
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def clip_utf16(text: str, limit: int, *, ellipsis: str = ELLIPSIS) -> str:
    """``text`` if it fits in ``limit`` UTF-16 units, else its start and ``ellipsis`` within it."""
    if utf16_len(text) <= limit:
        return text
    room = limit - utf16_len(ellipsis)
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > room:
            return text[:index] + ellipsis
    return text  # unreachable: the whole text fitted after all


def clip_utf16_start(text: str, limit: int, *, ellipsis: str = ELLIPSIS) -> str:
    """Like ``clip_utf16``, keeping the end of ``text`` (the newest part of a growing draft)."""
    if utf16_len(text) <= limit:
        return text
    room = limit - utf16_len(ellipsis)
    used = 0
    for index in range(len(text) - 1, -1, -1):
        used += 2 if ord(text[index]) > 0xFFFF else 1
        if used > room:
            return ellipsis + text[index + 1 :]
    return text
