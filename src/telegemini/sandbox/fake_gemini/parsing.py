"""Tolerant parsing of what the SDK sends, into conversation turns and output options.

Both spellings of every key are accepted (`mime_type`/`mimeType`, `inline_data`/`inlineData`),
and Interactions `input` may be a string, one content block, a list of content blocks, a
`user_input` wrapper, a list of steps, or legacy `{"role", "content"}` turns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .media import decode_b64

Role = Literal["user", "model"]
MediaKind = Literal["audio", "image", "video", "document"]
Json = dict[str, Any]
FileResolver = Callable[[str], bytes | None]
"""Maps a file `uri` to its bytes (files uploaded to the fake), or None."""

_MEDIA_KINDS: tuple[MediaKind, ...] = ("audio", "image", "video", "document")
_STEP_TYPES = frozenset(
    {
        "user_input",
        "model_output",
        "thought",
        "function_call",
        "function_result",
        "google_search_call",
        "google_search_result",
        "code_execution_call",
        "code_execution_result",
        "url_context_call",
        "url_context_result",
    }
)


@dataclass
class MediaBlock:
    """An audio/image/video/document input; `data` holds the decoded bytes."""

    kind: MediaKind
    mime_type: str
    data: bytes | None = None
    uri: str | None = None

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else 0


@dataclass
class Turn:
    """One conversation turn: the texts and media of a user or model message."""

    role: Role
    texts: list[str] = field(default_factory=list)
    media: list[MediaBlock] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The turn as one string; media without any text become `[audio mime N bytes]`."""
        joined = " ".join(t for t in self.texts if t)
        if joined or self.role == "model":
            return joined
        return " ".join(f"[{m.kind} {m.mime_type} {m.size} bytes]" for m in self.media)


def pick(mapping: Mapping[str, Any], snake: str, camel: str, default: Any = None) -> Any:
    """`mapping[camel]` or `mapping[snake]`: generateContent mixes both spellings."""
    if camel in mapping:
        return mapping[camel]
    return mapping.get(snake, default)


# --- Interactions -----------------------------------------------------------------------


def input_steps(value: Any) -> list[Json]:
    """Normalise Interactions `input` into a list of steps (`user_input`, `model_output`, …)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [{"type": "user_input", "content": [{"type": "text", "text": value}]}]
    items = value if isinstance(value, list) else [value]
    steps: list[Json] = []
    pending: list[Json] = []
    for item in items:
        if isinstance(item, str):
            pending.append({"type": "text", "text": item})
            continue
        if not isinstance(item, dict):
            continue
        if item.get("type") in _STEP_TYPES or "role" in item or _untyped_content(item):
            if pending:
                steps.append({"type": "user_input", "content": pending})
                pending = []
            steps.append(_as_step(item))
        else:
            block = dict(item)
            if "type" not in block and "text" in block:
                block["type"] = "text"
            pending.append(block)
    if pending:
        steps.append({"type": "user_input", "content": pending})
    return steps


def _untyped_content(item: Json) -> bool:
    return "content" in item and "type" not in item


def _as_step(item: Json) -> Json:
    if "type" in item and item.get("type") in _STEP_TYPES:
        return item
    role = item.get("role")
    content = item.get("content")
    blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
    kind = "model_output" if role == "model" else "user_input"
    return {"type": kind, "content": blocks or []}


def steps_to_turns(steps: Sequence[Json], resolve: FileResolver | None = None) -> list[Turn]:
    """User and model turns of `steps`; other step types carry no conversation text."""
    turns: list[Turn] = []
    for step in steps:
        kind = step.get("type")
        if kind not in ("user_input", "model_output"):
            continue
        role: Role = "user" if kind == "user_input" else "model"
        content = step.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        turn = Turn(role=role)
        for block in blocks if isinstance(blocks, list) else []:
            if isinstance(block, dict):
                _add_block(turn, block, resolve)
        turns.append(turn)
    return turns


def _add_block(turn: Turn, block: Json, resolve: FileResolver | None) -> None:
    kind = block.get("type", "text" if "text" in block else None)
    if kind == "text":
        text = block.get("text")
        if isinstance(text, str):
            turn.texts.append(text)
    elif kind in _MEDIA_KINDS:
        turn.media.append(_media(kind, block, block.get("data"), block.get("uri"), resolve))


def _media(
    kind: MediaKind, block: Mapping[str, Any], data: Any, uri: Any, resolve: FileResolver | None
) -> MediaBlock:
    mime = str(pick(block, "mime_type", "mimeType", "") or f"{kind}/unknown")
    raw = decode_b64(data) if isinstance(data, str) else None
    if raw is None and isinstance(uri, str) and resolve is not None:
        raw = resolve(uri)
    return MediaBlock(
        kind=kind, mime_type=mime, data=raw, uri=uri if isinstance(uri, str) else None
    )


# --- generateContent --------------------------------------------------------------------


def contents_to_turns(contents: Any, resolve: FileResolver | None = None) -> list[Turn]:
    """Turns of a generateContent `contents` list (a bare string or Content is tolerated)."""
    if isinstance(contents, str):
        return [Turn(role="user", texts=[contents])]
    items = contents if isinstance(contents, list) else [contents]
    turns: list[Turn] = []
    for content in items:
        if not isinstance(content, dict):
            continue
        turn = Turn(role="model" if content.get("role") == "model" else "user")
        for part in content.get("parts") or []:
            if isinstance(part, dict):
                _add_part(turn, part, resolve)
        turns.append(turn)
    return turns


def _add_part(turn: Turn, part: Json, resolve: FileResolver | None) -> None:
    if isinstance(part.get("text"), str) and not part.get("thought"):
        turn.texts.append(part["text"])
    inline = pick(part, "inline_data", "inlineData")
    if isinstance(inline, dict):
        mime = str(pick(inline, "mime_type", "mimeType", ""))
        turn.media.append(_media(_kind_of(mime), inline, inline.get("data"), None, resolve))
    file_data = pick(part, "file_data", "fileData")
    if isinstance(file_data, dict):
        mime = str(pick(file_data, "mime_type", "mimeType", ""))
        uri = pick(file_data, "file_uri", "fileUri")
        turn.media.append(_media(_kind_of(mime), file_data, None, uri, resolve))


def _kind_of(mime: str) -> MediaKind:
    head = mime.split("/", 1)[0]
    for kind in _MEDIA_KINDS:
        if head == kind:
            return kind
    return "document"


def system_text(value: Any) -> str | None:
    """A system instruction as text: a string (Interactions) or a Content (generateContent)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        texts = [p.get("text", "") for p in value.get("parts") or [] if isinstance(p, dict)]
        return "\n".join(t for t in texts if isinstance(t, str)) or None
    return None


# --- conversation helpers ---------------------------------------------------------------


def user_turns(turns: Sequence[Turn]) -> list[str]:
    """Texts of the user turns in order (media-only turns become a placeholder)."""
    return [t.text for t in turns if t.role == "user" and (t.texts or t.media)]


def latest_user_turn(turns: Sequence[Turn]) -> Turn | None:
    """The last user turn of the conversation, if any."""
    for turn in reversed(turns):
        if turn.role == "user":
            return turn
    return None
