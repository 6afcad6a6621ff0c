"""Recording fakes of the core's ports: a script in, a history out."""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from telegemini.core.models import (
    Activity,
    ChatCompleted,
    ChatEvent,
    ChatRequest,
    Reply,
    TextDelta,
)
from telegemini.errors import ConversationExpired


@dataclass
class ScriptedAnswer:
    chunks: list[str]
    error: Exception | None = None


class FakeChatModel:
    """``ChatModel`` that answers from a script (or echoes) and records every request."""

    def __init__(self) -> None:
        self.script: deque[ScriptedAnswer] = deque()
        self.history: list[ChatRequest] = []
        self.expired: set[str] = set()
        self._next_id = 0

    def enqueue(self, *chunks: str, error: Exception | None = None) -> None:
        self.script.append(ScriptedAnswer(list(chunks), error))

    async def stream(self, request: ChatRequest) -> AsyncIterator[ChatEvent]:
        self.history.append(request)
        if request.previous_id in self.expired:
            raise ConversationExpired(request.previous_id or "")
        answer = self.script.popleft() if self.script else ScriptedAnswer(["echo"])
        if answer.error is not None and not answer.chunks:
            raise answer.error
        for chunk in answer.chunks:
            yield TextDelta(chunk)
        if answer.error is not None:
            raise answer.error
        self._next_id += 1
        yield ChatCompleted(interaction_id=f"i{self._next_id}", text="".join(answer.chunks))


@dataclass
class FakeChatOutput:
    """``ChatOutput`` that records what a user would have seen."""

    can_stream: bool = True
    sent: list[Reply] = field(default_factory=list)
    drafts: list[str] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    active: list[Activity] = field(default_factory=list)

    @contextlib.asynccontextmanager
    async def activity(self, kind: Activity) -> AsyncIterator[None]:
        self.activities.append(kind)
        self.active.append(kind)
        try:
            yield
        finally:
            self.active.remove(kind)

    async def draft(self, text: str) -> None:
        self.drafts.append(text)

    async def send(self, reply: Reply) -> None:
        assert not self.active, "a reply must not be sent while 'typing…' is still shown"
        self.sent.append(reply)

    @property
    def texts(self) -> list[str]:
        return [r.text for r in self.sent]
