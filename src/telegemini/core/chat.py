"""Conversation with memory: one answered message per call, streamed while it is generated."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, Callable, Iterator
from dataclasses import dataclass, replace
from typing import Protocol

from telegemini.core.models import (
    Activity,
    Budget,
    ChatCompleted,
    ChatEvent,
    ChatKey,
    ChatRequest,
    Part,
    Reply,
    Searching,
    Started,
    TextDelta,
    TextPart,
    Thinking,
    ToolCall,
    ToolResult,
    ToolSpec,
)
from telegemini.core.modes import ASSISTANT
from telegemini.core.ports import ChatModel, ChatOutput, StopFlag, StopSignals, Store
from telegemini.core.sources import SearchLabels, footer
from telegemini.core.speech import strip_audio_tags
from telegemini.core.text import clip_utf16_start
from telegemini.errors import (
    ConversationExpired,
    DeliveryUncertain,
    EmptyPrompt,
    ModelMissing,
    UpstreamBusy,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
)

log = logging.getLogger(__name__)

DEFAULT_SYSTEM_INSTRUCTION = ASSISTANT

# Telegram shows at most 4096 characters per message; while streaming we show the tail.
MAX_TOOL_ROUNDS = 3  # calls the model may chain before it must answer
DRAFT_LIMIT = 4000


@dataclass(frozen=True, slots=True)
class ChatConfig:
    system_instruction: str = DEFAULT_SYSTEM_INSTRUCTION
    keep_turns: int = 20
    draft_interval: float = 0.6  # seconds between two streamed drafts of one answer
    first_draft_after: float = 0.15  # seconds after the first piece before drafting at all
    stream: bool = True
    attempts: int = 3  # model calls per user request, retries and the search fallback included
    answer_timeout: float = 45.0  # seconds a user waits for an answer at most, all attempts


class DraftThrottle:
    """Decides when a growing answer is shown: ``first_delay`` after its first piece (an answer
    that is complete by then needs no draft: the message itself follows at once), then at most
    every ``interval``."""

    def __init__(
        self,
        interval: float,
        first_delay: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval = interval
        self._first_delay = first_delay
        self._clock = clock
        self._started: float | None = None
        self._last: float | None = None

    def due(self) -> bool:
        now = self._clock()
        if self._started is None:
            self._started = now
        if self._last is None:
            if now - self._started < self._first_delay:
                return False
        elif now - self._last < self._interval:
            return False
        self._last = now
        return True


def draft_text(text: str) -> str:
    return clip_utf16_start(text, DRAFT_LIMIT)


class ChatService:
    """Answers a message within its conversation, keeping the chain and transcript stored."""

    def __init__(
        self,
        model: ChatModel,
        store: Store,
        config: ChatConfig | None = None,
        stops: StopSignals | None = None,
    ) -> None:
        self._model = model
        self._store = store
        self._config = config or ChatConfig()
        self._stops = stops

    async def answer(
        self,
        key: ChatKey,
        parts: list[Part],
        out: ChatOutput,
        *,
        instruction: str | None = None,
        transcript_text: str | None = None,
        tools: Toolbox | None = None,
        search: SearchLabels | None = None,
        pages: str | None = None,
        stopped_note: str = "(stopped)",
        thinking_label: str | None = None,
    ) -> str:
        """Send ``parts`` to the model in ``key``'s conversation and deliver the reply.

        A stop (the Stop button, /stop) ends the model's stream at once: what was written so far
        is sent with ``stopped_note``, remembered, and "" is returned (nothing to speak).
        With a ``thinking_label`` the model's thought summaries are asked for and shown above the
        answer under it (never stored, never spoken). With ``pages`` (a heading) the model may
        read the web pages the message names (URL context); the answer lists those it read.

        Returns the reply as the model wrote it (audio tags included, for speech).
        ``transcript_text`` is what the local transcript records for the user's turn (the text
        itself for text messages; a short label for media).
        """
        _require_content(parts)
        request = ChatRequest(
            parts=parts,
            system_instruction=instruction or self._config.system_instruction,
            previous_id=await self._store.load_head(key),
            tools=tools.specs if tools is not None else [],
            search=search is not None,
            url_context=pages is not None,
            budget=self._budget(),
            thinking=thinking_label is not None,
        )
        thoughts: list[str] = []
        searching = search.searching if search is not None else None
        user_text = transcript_text if transcript_text is not None else _text_of(parts)
        with self._watch_stop(key, out) as stop:
            try:
                async with out.activity(Activity.TYPING):
                    try:
                        completed, calls = await self._run_grounded(
                            request, out, searching, stop, thoughts
                        )
                    except ConversationExpired:
                        # The model forgot the chain (expired, or another API key): start a new
                        # one seeded with our own transcript. The user notices nothing.
                        request.previous_id = None
                        history = (await self._store.load_conversation(key)).transcript
                        request.history = list(history)
                        thoughts.clear()
                        completed, calls = await self._run_grounded(
                            request, out, searching, stop, thoughts
                        )
            except AnswerStopped as stopped:
                await self._stopped(key, stopped, out, user_text, stopped_note)
                return ""
        used_tools = False
        for _ in range(MAX_TOOL_ROUNDS):
            if not calls or tools is None:
                break
            used_tools = True
            results = [await tools.run(call) for call in calls]
            # A new budget: the tool (a picture) may have taken longer than an answer may.
            follow_up = replace(
                request,
                parts=[],
                previous_id=completed.interaction_id,
                tool_results=results,
                budget=self._budget(),
            )
            async with out.activity(Activity.TYPING):
                completed, calls = await self._run(follow_up, out)
        if used_tools and not strip_audio_tags(completed.text).strip():
            # The tool already showed its result (a picture); nothing more to say.
            await self._store.save_exchange(
                key,
                head_id=completed.interaction_id,
                user_text=transcript_text if transcript_text is not None else _text_of(parts),
                model_text="[image]",
                keep_turns=self._config.keep_turns,
            )
            return ""
        text = _nonempty(completed.text)
        shown = strip_audio_tags(text)
        below = footer(completed, search=search, pages_heading=pages)
        if below:
            shown += "\n\n" + below

        async def remember() -> None:
            await self._store.save_exchange(
                key,
                head_id=completed.interaction_id,
                user_text=user_text,
                model_text=strip_audio_tags(text),
                keep_turns=self._config.keep_turns,
            )

        # Memory records an answer only once the user could see it: an answer Telegram refused
        # is not part of the conversation (the next turn chains on the one before it).
        try:
            thinking = "".join(thoughts).strip()
            await out.send(Reply(shown, thinking=thinking, thinking_label=thinking_label or ""))
        except DeliveryUncertain:
            await remember()  # it may well have arrived
            raise
        try:
            await remember()
        except Exception:
            # The user has the answer: no apology for it. Only this turn is missing from the
            # memory (the next one chains on the turn before).
            log.warning("an answer was delivered but not remembered (database away)", exc_info=True)
        return text

    async def stop(self, key: ChatKey) -> bool:
        """/stop: stop the answer being written in ``key`` (False: none is, as far as we know)."""
        return self._stops is not None and await self._stops.request(key)

    @contextlib.contextmanager
    def _watch_stop(self, key: ChatKey, out: ChatOutput) -> Iterator[StopFlag | None]:
        if self._stops is None:
            yield None
            return
        with self._stops.watch(key, out.draft_id) as stop:
            yield stop

    async def _stopped(
        self,
        key: ChatKey,
        stopped: AnswerStopped,
        out: ChatOutput,
        user_text: str,
        note: str,
    ) -> None:
        """What was written before the stop: shown, marked, and remembered (the next turn
        chains on it), so the user can ask to go on."""
        written = strip_audio_tags(stopped.text).strip()
        await out.send(Reply(f"{written}\n\n{note}" if written else note))
        if stopped.interaction_id is not None:
            await self._store.save_exchange(
                key,
                head_id=stopped.interaction_id,
                user_text=user_text,
                model_text=f"{written} {note}".strip(),
                keep_turns=self._config.keep_turns,
            )

    def _budget(self) -> Budget:
        config = self._config
        return Budget.starting_now(attempts=config.attempts, seconds=config.answer_timeout)

    async def _run_grounded(
        self,
        request: ChatRequest,
        out: ChatOutput,
        searching: str | None,
        stop: StopFlag | None = None,
        thoughts: list[str] | None = None,
    ) -> tuple[ChatCompleted, list[ToolCall]]:
        """A search (or a page read) that fails must not cost the user the answer: ask again
        without the web."""
        try:
            return await self._run(request, out, searching, stop, thoughts)
        except UpstreamError as exc:
            spent = request.budget is not None and (
                request.budget.attempts <= 0 or request.budget.left() <= 0
            )
            if (
                spent
                or not (request.search or request.url_context)
                or isinstance(exc, UpstreamBusy | UpstreamTimeout | ModelMissing)
            ):
                raise
            log.warning("answer with web tools failed (%s); answering without them", exc)
            request.search = False
            request.url_context = False
            if thoughts is not None:
                thoughts.clear()
            return await self._run(request, out, None, stop, thoughts)

    async def one_shot(
        self, parts: list[Part], out: ChatOutput, *, instruction: str, send: bool = True
    ) -> str:
        """A request outside any conversation (transcription, translation): nothing is read
        from or written to the conversation's memory. ``send=False``: the text is returned,
        not sent (an image prompt made from a voice note)."""
        _require_content(parts)
        request = ChatRequest(
            parts=parts, system_instruction=instruction, store=False, budget=self._budget()
        )
        async with out.activity(Activity.TYPING):
            completed, _ = await self._run(request, out)
        text = _nonempty(completed.text)
        if send:
            await out.send(Reply(strip_audio_tags(text)))
        return text

    async def _run(
        self,
        request: ChatRequest,
        out: ChatOutput,
        searching: str | None = None,
        stop: StopFlag | None = None,
        thoughts: list[str] | None = None,
    ) -> tuple[ChatCompleted, list[ToolCall]]:
        streaming = self._config.stream and out.can_stream
        thoughts = thoughts if thoughts is not None else []
        throttle = DraftThrottle(self._config.draft_interval, self._config.first_draft_after)
        pieces: list[str] = []
        calls: list[ToolCall] = []
        started: list[str] = []

        async def consume() -> tuple[ChatCompleted, list[ToolCall]]:
            # Closed here when it returns before the stream's end: left to the garbage
            # collector, each generator of the chain would be closed by a task of its own.
            async with contextlib.aclosing(self._model.stream(request)) as events:
                return await read(events)

        async def read(
            events: AsyncGenerator[ChatEvent, None],
        ) -> tuple[ChatCompleted, list[ToolCall]]:
            async for event in events:
                if isinstance(event, TextDelta):
                    pieces.append(event.text)
                    if streaming and throttle.due():
                        await out.draft(
                            draft_text(strip_audio_tags("".join(pieces))),
                            thinking=draft_text("".join(thoughts)),
                        )
                elif isinstance(event, Thinking):
                    thoughts.append(event.text)
                    if streaming and throttle.due():
                        await out.draft(
                            draft_text(strip_audio_tags("".join(pieces))),
                            thinking=draft_text("".join(thoughts)),
                        )
                elif isinstance(event, ToolCall):
                    calls.append(event)
                elif isinstance(event, Started):
                    started.append(event.interaction_id)
                elif isinstance(event, Searching) and streaming and searching and not pieces:
                    await out.draft(searching)
                elif isinstance(event, ChatCompleted):
                    return event, calls
            raise UpstreamUnavailable("the model stream ended without completing")

        if stop is None:
            return await consume()
        # The stream runs as its own task, which the stop flag cancels as it is set: a stop ends
        # it at once, whatever it is waiting for (closing it closes the request: the model
        # stops writing, and billing).
        writing = asyncio.ensure_future(consume())
        forget = stop.on_set(writing.cancel)
        try:
            return await writing
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if not stop.is_set() or (task is not None and task.cancelling()):
                raise  # cancelled from outside (a shutdown), not stopped
        finally:
            forget()
        raise AnswerStopped("".join(pieces), started[-1] if started else None)


class AnswerStopped(Exception):
    """The user stopped the answer being written; what was written so far."""

    def __init__(self, text: str, interaction_id: str | None) -> None:
        super().__init__("stopped")
        self.text = text
        self.interaction_id = interaction_id


class Toolbox(Protocol):
    """Functions the model may call during one answer."""

    @property
    def specs(self) -> list[ToolSpec]: ...

    async def run(self, call: ToolCall) -> ToolResult: ...


def _require_content(parts: list[Part]) -> None:
    if not any(not isinstance(p, TextPart) or p.text.strip() for p in parts):
        raise EmptyPrompt("no content")


def _nonempty(text: str) -> str:
    text = text.strip()
    if not strip_audio_tags(text):
        raise UpstreamUnavailable("empty answer")
    return text


def _text_of(parts: list[Part]) -> str:
    return "\n".join(p.text for p in parts if isinstance(p, TextPart))
