"""Message entities: UTF-16 offsets, explicit-entity validation, auto-detection, trimming.

Telegram counts entity offsets and lengths in UTF-16 code units, so a character outside the
Basic Multilingual Plane (most emoji) counts 2. Every helper here speaks those units.
"""

from __future__ import annotations

import re
from typing import Any

from .models import ApiError, as_int

# Entity types the Bot API knows, and the extra field each one requires.
KNOWN_TYPES = frozenset(
    {
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
        "date_time",
    }
)
_REQUIRED_FIELD = {"text_link": "url", "text_mention": "user", "custom_emoji": "custom_emoji_id"}
_EXTRA_FIELDS = ("url", "user", "language", "custom_emoji_id", "unix_time", "date_time_format")

# What tdlib's is_space treats as white space when it trims a message.
_TRIM_CHARS = " \t\r\n\v\f\x00"

_MENTION = re.compile(r"(?<![A-Za-z0-9_@/.])@[A-Za-z0-9_]{3,32}(?![A-Za-z0-9_@])")
_BOT_COMMAND = re.compile(
    r"(?<![A-Za-z0-9_/<>\\])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_/@])"
)
_URL = re.compile(r"(?<![\w@/])https?://[^\s<>\"']+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?)]}'\""


def char_units(char: str) -> int:
    """UTF-16 code units of one code point."""
    return 2 if ord(char) > 0xFFFF else 1


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def utf16_slice(text: str, offset: int, length: int) -> str:
    """The part of ``text`` an entity covers (offset and length in UTF-16 code units)."""
    units = text.encode("utf-16-le")
    return units[2 * offset : 2 * (offset + length)].decode("utf-16-le", errors="replace")


def utf16_prefix(text: str) -> list[int]:
    """``prefix[i]`` is the UTF-16 offset of ``text[i]`` (``prefix[len(text)]`` is the length)."""
    prefix = [0] * (len(text) + 1)
    total = 0
    for index, char in enumerate(text):
        prefix[index] = total
        total += char_units(char)
    prefix[len(text)] = total
    return prefix


def entity(kind: str, offset: int, length: int, **extra: Any) -> dict[str, Any]:
    """A Bot API ``MessageEntity`` dict."""
    result: dict[str, Any] = {"type": kind, "offset": offset, "length": length}
    result.update({key: value for key, value in extra.items() if value is not None})
    return result


def sort_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Telegram's order: by offset, the longer (outer) entity first."""
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def validate_entities(text: str, raw: Any) -> list[dict[str, Any]]:
    """Check explicit ``entities``/``caption_entities`` against ``text``; return them normalized.

    Raises ApiError (400 ``can't parse entities: ...``) when an entity is malformed, of an unknown
    type, or reaches outside the text (UTF-16 code units).
    """
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ApiError.bad_request("can't parse entities: expected an Array of MessageEntity")
    text_length = utf16_len(text)
    result: list[dict[str, Any]] = []
    for item in raw:
        if not isinstance(item, dict):
            raise ApiError.bad_request("can't parse entities: expected an Object as MessageEntity")
        kind = item.get("type")
        if not isinstance(kind, str):
            raise ApiError.bad_request('can\'t parse entities: Field "type" must be of type String')
        if kind not in KNOWN_TYPES:
            raise ApiError.bad_request(f'can\'t parse entities: Unsupported entity type "{kind}"')
        offset, length = as_int(item.get("offset")), as_int(item.get("length"))
        if offset is None or length is None:
            raise ApiError.bad_request(
                'can\'t parse entities: Field "offset" and "length" must be of type Integer'
            )
        if offset < 0 or length <= 0 or offset + length > text_length:
            raise ApiError.bad_request(
                f"can't parse entities: entity of type {kind} at offset {offset} with length "
                f"{length} is outside of the text of {text_length} UTF-16 code units"
            )
        required = _REQUIRED_FIELD.get(kind)
        if required is not None and not item.get(required):
            raise ApiError.bad_request(
                f'can\'t parse entities: Field "{required}" must be specified for {kind} entities'
            )
        extra = {key: item[key] for key in _EXTRA_FIELDS if key in item}
        result.append(entity(kind, offset, length, **extra))
    return sort_entities(result)


def detect_entities(text: str) -> list[dict[str, Any]]:
    """Entities Telegram finds by itself: @mentions, /bot_commands and http(s) URLs."""
    prefix: list[int] | None = None
    found: list[dict[str, Any]] = []
    for kind, pattern in (("mention", _MENTION), ("bot_command", _BOT_COMMAND), ("url", _URL)):
        for match in pattern.finditer(text):
            start, end = match.span()
            if kind == "url":
                while end > start and text[end - 1] in _URL_TRAILING:
                    end -= 1
            if prefix is None:
                prefix = utf16_prefix(text)
            found.append(entity(kind, prefix[start], prefix[end] - prefix[start]))
    return sort_entities(found)


def add_detected(text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``entities`` plus the auto-detected ones that overlap none of them."""
    spans = [(e["offset"], e["offset"] + e["length"]) for e in entities]
    extra = [
        found
        for found in detect_entities(text)
        if all(
            found["offset"] + found["length"] <= start or found["offset"] >= end
            for start, end in spans
        )
    ]
    return sort_entities([*entities, *extra]) if extra else entities


def trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip leading/trailing white space as Telegram does, shifting and clipping entities."""
    stripped_left = text.lstrip(_TRIM_CHARS)
    stripped = stripped_left.rstrip(_TRIM_CHARS)
    if stripped == text:
        return text, entities
    shift = utf16_len(text[: len(text) - len(stripped_left)])
    new_length = utf16_len(stripped)
    result: list[dict[str, Any]] = []
    for item in entities:
        start = max(item["offset"] - shift, 0)
        end = min(item["offset"] + item["length"] - shift, new_length)
        if end > start:
            result.append({**item, "offset": start, "length": end - start})
    return stripped, result
