from __future__ import annotations

import asyncio
import gc
import sys
from typing import Any

import pytest

from telegemini.coordination.stops import MemoryStopSignals
from telegemini.core.chat import ChatConfig, ChatService, DraftThrottle, draft_text
from telegemini.core.models import ChatKey, TextPart
from telegemini.errors import EmptyPrompt, UpstreamBusy
from telegemini.storage.memory import MemoryStore
from tests.helpers.fakes import FakeChatModel, FakeChatOutput

KEY = ChatKey(42)


@pytest.fixture
def model() -> FakeChatModel:
    return FakeChatModel()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


def service(model: FakeChatModel, store: MemoryStore, **config: object) -> ChatService:
    return ChatService(model, store, ChatConfig(draft_interval=0, first_draft_after=0, **config))  # type: ignore[arg-type]


async def test_answer_is_sent_after_typing_and_chains_the_next_turn(model, store):
    chat = service(model, store)
    out = FakeChatOutput()
    model.enqueue("Hello ", "there")
    await chat.answer(KEY, [TextPart("hi")], out)
    model.enqueue("again")
    await chat.answer(KEY, [TextPart("and now?")], out)

    assert out.texts == ["Hello there", "again"]
    assert out.activities == ["typing", "typing"]
    assert [r.previous_id for r in model.history] == [None, "i1"]
    conversation = await store.load_conversation(KEY)
    assert conversation.head_id == "i2"
    assert [t.text for t in conversation.transcript] == ["hi", "Hello there", "and now?", "again"]


async def test_drafts_grow_while_streaming_in_private_chats(model, store):
    out = FakeChatOutput(can_stream=True)
    model.enqueue("a", "b", "c")
    await service(model, store).answer(KEY, [TextPart("x")], out)
    assert out.drafts == ["a", "ab", "abc"]


async def test_no_drafts_where_streaming_is_impossible(model, store):
    out = FakeChatOutput(can_stream=False)
    model.enqueue("a", "b")
    await service(model, store).answer(KEY, [TextPart("x")], out)
    assert out.drafts == []
    assert out.texts == ["ab"]


async def test_expired_conversation_is_reseeded_from_the_transcript(model, store):
    chat = service(model, store)
    out = FakeChatOutput()
    model.enqueue("first answer")
    await chat.answer(KEY, [TextPart("first question")], out)
    model.expired.add("i1")
    model.enqueue("second answer")
    await chat.answer(KEY, [TextPart("second question")], out)

    retry = model.history[-1]
    assert retry.previous_id is None
    assert [t.text for t in retry.history] == ["first question", "first answer"]
    assert out.texts == ["first answer", "second answer"]
    assert (await store.load_conversation(KEY)).head_id == "i2"


async def test_transcript_is_bounded(model, store):
    chat = service(model, store, keep_turns=4)
    for n in range(5):
        model.enqueue(f"a{n}")
        await chat.answer(KEY, [TextPart(f"q{n}")], FakeChatOutput())
    conversation = await store.load_conversation(KEY)
    assert [t.text for t in conversation.transcript] == ["q3", "a3", "q4", "a4"]


async def test_empty_prompt_never_reaches_the_model(model, store):
    with pytest.raises(EmptyPrompt):
        await service(model, store).answer(KEY, [TextPart("   ")], FakeChatOutput())
    assert model.history == []


async def test_failed_answer_leaves_the_conversation_untouched(model, store):
    chat = service(model, store)
    model.enqueue("ok")
    await chat.answer(KEY, [TextPart("q1")], FakeChatOutput())
    model.enqueue(error=UpstreamBusy("busy", retry_after=3))
    with pytest.raises(UpstreamBusy):
        await chat.answer(KEY, [TextPart("q2")], FakeChatOutput())
    conversation = await store.load_conversation(KEY)
    assert conversation.head_id == "i1"
    assert len(conversation.transcript) == 2


def test_draft_throttle_shows_first_at_once_then_at_most_every_interval():
    now = [0.0]
    throttle = DraftThrottle(1.0, clock=lambda: now[0])
    shown = []
    for t in (0.0, 0.2, 0.9, 1.0, 1.5, 2.1):
        now[0] = t
        shown.append(throttle.due())
    assert shown == [True, False, False, True, False, True]


def test_a_quick_answer_gets_no_draft():
    now = [10.0]
    throttle = DraftThrottle(1.0, first_delay=0.15, clock=lambda: now[0])
    shown = []
    for t in (10.0, 10.1, 10.16, 10.5, 11.2):
        now[0] = t
        shown.append(throttle.due())
    assert shown == [False, False, True, False, True]


def test_long_drafts_show_the_tail():
    text = "x" * 5000 + "END"
    assert draft_text(text).endswith("END")
    assert len(draft_text(text)) == 4000


async def _until(condition, what: str) -> None:
    async def check() -> None:
        while not condition():
            await asyncio.sleep(0.001)

    try:
        await asyncio.wait_for(check(), 2)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def test_stop_closes_the_stream_and_keeps_what_was_written(model, store):
    stops = MemoryStopSignals()
    service = ChatService(model, store, ChatConfig(draft_interval=0, first_draft_after=0), stops)
    model.enqueue_hanging("Once upon", " a time")
    out = FakeChatOutput()
    writing = asyncio.create_task(
        service.answer(KEY, [TextPart("a story")], out, stopped_note="(stopped)")
    )
    await _until(lambda: out.drafts, "a draft")

    assert await stops.request(KEY, out.draft_id)
    assert await asyncio.wait_for(writing, 1) == ""  # nothing to speak
    assert model.closed_early == 1  # the model's stream was closed, not left running
    assert [r.text for r in out.sent] == ["Once upon a time\n\n(stopped)"]
    conversation = await store.load_conversation(KEY)
    assert conversation.head_id == "i1"  # the next turn chains on the stopped answer
    assert conversation.transcript[-1].text == "Once upon a time (stopped)"


async def test_a_stop_for_another_answer_changes_nothing(model, store):
    stops = MemoryStopSignals()
    service = ChatService(model, store, ChatConfig(draft_interval=0, first_draft_after=0), stops)
    assert not await stops.request(KEY)  # nothing being written
    model.enqueue("all", " done")
    out = FakeChatOutput()
    assert await service.answer(KEY, [TextPart("hi")], out) == "all done"
    assert not await stops.request(KEY, out.draft_id)  # finished: unaffected
    assert [r.text for r in out.sent] == ["all done"]


async def test_the_models_stream_is_closed_once_the_answer_is_complete(model, store):
    # Left to the garbage collector, an unfinished stream is closed later by a task of its own
    # (one per generator of the chain), and its request stays open until then.
    left_open: list[str] = []
    hooks = sys.get_asyncgen_hooks()

    def finalizer(generator: Any) -> None:
        left_open.append(generator.__qualname__)
        hooks.finalizer(generator)

    sys.set_asyncgen_hooks(firstiter=hooks.firstiter, finalizer=finalizer)
    try:
        model.enqueue("Hello")
        out = FakeChatOutput()
        await service(model, store).answer(KEY, [TextPart("hi")], out)
        gc.collect()
    finally:
        sys.set_asyncgen_hooks(*hooks)
    assert out.texts == ["Hello"]
    assert left_open == []


async def test_an_answer_cancelled_from_outside_is_cancelled_not_taken_for_a_stop(model, store):
    stops = MemoryStopSignals()
    service = ChatService(model, store, ChatConfig(draft_interval=0, first_draft_after=0), stops)
    model.enqueue_hanging("Once upon", " a time")
    out = FakeChatOutput()
    writing = asyncio.create_task(service.answer(KEY, [TextPart("a story")], out))
    await _until(lambda: out.drafts, "a draft")

    writing.cancel()  # a shutdown
    with pytest.raises(asyncio.CancelledError):
        await writing
    assert model.closed_early == 1  # the model's stream was closed with it
    assert out.sent == []  # no "(stopped)" answer
    assert (await store.load_conversation(KEY)).head_id is None
