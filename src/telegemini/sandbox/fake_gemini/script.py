"""How tests steer the fake: scripted replies, injected faults and magic prompt tokens.

- `Script`: a FIFO of `ScriptedReply` consumed by text calls, or a `responder` callable that
  replaces the default echo responder.
- `FaultQueue`: HTTP errors (or mid-stream errors) for the next matching requests.
- Magic tokens in the user's latest text, for tests that cannot reach the Python object:
  `[[fail:429]]` `[[fail:429:0.01]]` `[[hang:S]]` `[[stream_error]]` `[[long:N]]` `[[markdown]]`
  `[[blocked]]` `[[search]]`. They are removed from every echoed text.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .parsing import Turn
from .reading import document_reply

FinishKind = Literal["stop", "max_tokens", "safety", "error"]
"""How a scripted reply ends: normally, cut by the token limit, blocked, or failed."""

ApiName = Literal["interactions", "generate_content"]


@dataclass
class ScriptedReply:
    """One canned model answer.

    `chunks` (joined) wins over `text` and fixes the streamed deltas; `delay` is waited before
    answering. `finish`: "stop"; "max_tokens" (status `incomplete` / `MAX_TOKENS`); "safety"
    (answered like `[[blocked]]`); "error" (a failed interaction, or a mid-stream error event).
    """

    text: str | None = None
    chunks: list[str] | None = None
    delay: float = 0.0
    finish: FinishKind = "stop"

    @property
    def full_text(self) -> str:
        return "".join(self.chunks) if self.chunks is not None else (self.text or "")


@dataclass(frozen=True)
class RequestContext:
    """What a responder sees about one text call."""

    api: ApiName
    model: str
    text: str
    """The latest user text, magic tokens removed (media-only: `[audio mime N bytes]`)."""
    history: tuple[str, ...]
    """Earlier user texts of the conversation, oldest first, magic tokens removed."""
    turns: tuple[Turn, ...]
    """The whole conversation: stored chain, then the new input."""
    system_instruction: str | None
    body: Mapping[str, Any]
    stream: bool


Responder = Callable[[RequestContext], ScriptedReply]
AfterTools = Callable[[RequestContext, list[str]], str]


class Script:
    """Scripted replies for text calls: a FIFO queue first, then `responder`, else the echo."""

    def __init__(self) -> None:
        self._queue: deque[ScriptedReply] = deque()
        self.responder: Responder | None = None
        self.after_tools: AfterTools | None = None
        """The words after function results came back (default: "Done. " and the results)."""

    def enqueue(self, *replies: ScriptedReply) -> None:
        """Queue replies for the next text calls, in order."""
        self._queue.extend(replies)

    def pending(self) -> int:
        """Number of queued replies not yet consumed."""
        return len(self._queue)

    def next_reply(self, context: RequestContext) -> ScriptedReply | None:
        """The reply a text call gets from the script, or None for the default responder."""
        if self._queue:
            return self._queue.popleft()
        if self.responder is not None:
            return self.responder(context)
        return None

    def clear(self) -> None:
        self._queue.clear()
        self.responder = None
        self.after_tools = None


@dataclass
class Fault:
    """An injected HTTP error for the next `times` requests whose path contains `match`.

    `style` picks the error body: "interactions" `{"error":{"code":"rate_limit_exceeded",…}}`
    or "google" `{"error":{"code":429,"status":"RESOURCE_EXHAUSTED",…}}`. `mid_stream` faults
    only match streaming calls: the stream starts, sends some text, then fails.
    """

    status: int = 500
    times: int = 1
    match: str | None = None
    retry_after: float | None = None
    style: Literal["google", "interactions"] = "interactions"
    delay: float = 0.0
    mid_stream: bool = False
    message: str | None = None


class FaultQueue:
    """Faults consumed in the order they were added."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, *faults: Fault) -> None:
        self._faults.extend(faults)

    def take(self, path: str, *, streaming: bool) -> Fault | None:
        """Consume one use of the first fault matching this request, if any."""
        for fault in self._faults:
            if fault.match is not None and fault.match not in path:
                continue
            if fault.mid_stream and not streaming:
                continue
            fault.times -= 1
            if fault.times <= 0:
                self._faults.remove(fault)
            return fault
        return None

    def pending(self) -> list[Fault]:
        return list(self._faults)

    def clear(self) -> None:
        self._faults.clear()


# --- magic tokens -----------------------------------------------------------------------

_MAGIC = re.compile(
    r"\s*\[\[(fail|hang|stream_error|long|markdown|blocked|search)(?::([^\]]*))?\]\]"
)


@dataclass
class Magic:
    """Effects requested by magic tokens in the latest user text."""

    fail_status: int | None = None
    retry_after: float | None = None
    hang: float = 0.0
    stream_error: bool = False
    long: int | None = None
    markdown: bool = False
    blocked: bool = False
    search: bool = False
    tokens: list[str] = field(default_factory=list)


def parse_magic(text: str) -> Magic:
    """Read the magic tokens of `text` (malformed arguments are ignored)."""
    magic = Magic()
    for found in _MAGIC.finditer(text):
        name, arg = found.group(1), found.group(2) or ""
        magic.tokens.append(found.group(0).strip())
        parts = arg.split(":")
        if name == "fail" and parts[0].isdigit():
            magic.fail_status = int(parts[0])
            magic.retry_after = _float(parts[1]) if len(parts) > 1 else None
            if magic.retry_after is None and magic.fail_status == 429:
                magic.retry_after = 1.0
        elif name == "hang":
            magic.hang = _float(arg) or 0.0
        elif name == "long" and arg.isdigit():
            magic.long = int(arg)
        elif name in ("stream_error", "markdown", "blocked", "search"):
            setattr(magic, name, True)
    return magic


def strip_magic(text: str) -> str:
    """`text` without magic tokens."""
    return _MAGIC.sub("", text).strip()


def _float(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


# --- default replies --------------------------------------------------------------------

MARKDOWN_REPLY = (
    "# Fake heading\n\n"
    "Here is **bold text**, _italic text_ and `inline code`.\n\n"
    "```python\nprint('hello from the fake model')\n```\n\n"
    "- first item\n- second item with **bold**\n- third item\n\n"
    "See [the example site](https://example.com/docs) for more."
)


def echo_reply(latest: str, earlier: list[str] | tuple[str, ...]) -> str:
    """`You said: …` plus `Earlier you said: a | b` when the conversation has history."""
    reply = f"You said: {latest}"
    if earlier:
        reply += "\n\nEarlier you said: " + " | ".join(earlier)
    return reply


def long_reply(length: int) -> str:
    """Exactly `length` characters of prose: numbered sentences, five per paragraph."""
    parts: list[str] = []
    size = 0
    number = 0
    while size < length:
        number += 1
        sentence = f"Sentence {number} is here."
        separator = "" if number == 1 else ("\n\n" if (number - 1) % 5 == 0 else " ")
        parts.append(separator + sentence)
        size += len(separator) + len(sentence)
    text = "".join(parts)[:length]
    if text and text[-1].isspace():
        text = text[:-1] + "."
    return text


def default_reply(context: RequestContext, magic: Magic) -> ScriptedReply:
    """The fake's own answer: Markdown, long prose, a quote from the file sent (`reading`), or
    the echo of the conversation."""
    if magic.markdown:
        return ScriptedReply(text=MARKDOWN_REPLY)
    if magic.long is not None:
        return ScriptedReply(text=long_reply(magic.long))
    about_file = document_reply(context.turns, context.text)
    if about_file is not None:
        return ScriptedReply(text=about_file)
    return ScriptedReply(text=echo_reply(context.text, context.history))
