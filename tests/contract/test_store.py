"""One contract for every ``Store``: memory, SQLite and PostgreSQL behave the same."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from telegemini.core.models import ChatKey, Turn, UserRef
from telegemini.storage.memory import MemoryStore
from telegemini.storage.sql import SqlStore
from tests.helpers.databases import POSTGRES_URL, postgres_schema, sqlite_url


@pytest.fixture
async def memory_store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
async def sqlite_store(tmp_path) -> AsyncIterator[SqlStore]:
    store = await SqlStore.open(sqlite_url(tmp_path))
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def postgres_store() -> AsyncIterator[SqlStore]:
    async with postgres_schema() as schema:
        store = await SqlStore.open(POSTGRES_URL, schema=schema)
        try:
            yield store
        finally:
            await store.close()


@pytest.fixture(params=["memory_store", "sqlite_store", "postgres_store"])
def store(request):
    return request.getfixturevalue(request.param)


async def test_an_update_is_claimed_once(store):
    assert await store.claim_update(100) is True
    assert await store.claim_update(100) is False
    assert await store.claim_update(101) is True


async def test_concurrent_claims_of_one_update_let_exactly_one_through(store):
    results = await asyncio.gather(*(store.claim_update(555) for _ in range(20)))
    assert results.count(True) == 1


async def test_old_update_ids_are_forgotten(store):
    await store.claim_update(1)
    removed = await store.forget_updates_before(datetime.now(UTC) + timedelta(seconds=1))
    assert removed == 1
    assert await store.claim_update(1) is True


async def test_a_new_conversation_is_empty(store):
    conversation = await store.load_conversation(ChatKey(1))
    assert conversation.head_id is None
    assert conversation.transcript == ()


async def test_exchanges_move_the_head_and_keep_a_bounded_transcript(store):
    key = ChatKey(-100123, 7)
    for n in range(3):
        await store.save_exchange(
            key, head_id=f"h{n}", user_text=f"q{n}", model_text=f"a{n}", keep_turns=4
        )
    conversation = await store.load_conversation(key)
    assert conversation.head_id == "h2"
    assert conversation.transcript == (
        Turn("user", "q1"),
        Turn("model", "a1"),
        Turn("user", "q2"),
        Turn("model", "a2"),
    )


async def test_topics_and_chats_are_separate_conversations(store):
    await store.save_exchange(ChatKey(5), head_id="a", user_text="x", model_text="y", keep_turns=10)
    await store.save_exchange(
        ChatKey(5, 9), head_id="b", user_text="x", model_text="y", keep_turns=10
    )
    assert (await store.load_conversation(ChatKey(5))).head_id == "a"
    assert (await store.load_conversation(ChatKey(5, 9))).head_id == "b"
    assert (await store.load_conversation(ChatKey(6))).head_id is None


async def test_reset_forgets_one_conversation_only(store):
    await store.save_exchange(ChatKey(5), head_id="a", user_text="x", model_text="y", keep_turns=10)
    await store.save_exchange(ChatKey(6), head_id="b", user_text="x", model_text="y", keep_turns=10)
    await store.reset_conversation(ChatKey(5))
    assert await store.load_conversation(ChatKey(5)) == (
        await MemoryStore().load_conversation(ChatKey(5))
    )
    assert (await store.load_conversation(ChatKey(6))).head_id == "b"


async def test_users_are_remembered_and_updated(store):
    await store.remember_user(UserRef(1, "Ada", "ada", "en"))
    await store.remember_user(UserRef(1, "Ada L.", "ada", "ru"))  # must not raise on conflict


async def test_preferences_default_then_persist_per_chat_and_user(store):
    from telegemini.core.models import Mode, Preferences

    assert await store.load_preferences(1, 2) == Preferences()
    chosen = Preferences(
        mode=Mode.TRANSLATION,
        voice_replies=False,
        voice="Puck",
        target_language="Spanish",
        ui_language="ru",
        expressive=True,
    )
    await store.save_preferences(1, 2, chosen)
    assert await store.load_preferences(1, 2) == chosen
    assert await store.load_preferences(1, 3) == Preferences()
    await store.save_preferences(1, 2, Preferences(mode=Mode.TRANSCRIPTION))
    assert await store.load_preferences(1, 2) == Preferences(mode=Mode.TRANSCRIPTION)


async def test_image_jobs_round_trip_and_identical_requests_are_found(store):
    from dataclasses import replace

    from telegemini.core.models import ImageJob

    job = ImageJob(
        id="job1",
        chat_id=5,
        user_id=6,
        prompt="A Fox  in the snow",
        size="2K",
        aspect_ratio="16:9",
        reference_ids=("ref-a", "ref-b"),
        created_at=1_000_000.0,
    )
    await store.save_image_job(job)
    assert await store.load_image_job("job1") == job
    assert await store.load_image_job("nope") is None
    assert await store.find_image(job, since=0) is None  # not sent yet: nothing to reuse

    sent = replace(job, photo_file_id="photo-1")
    await store.save_image_job(sent)
    same = replace(job, id="job2", prompt="a fox in the   snow", created_at=1_000_100.0)
    found = await store.find_image(same, since=999_999.0)
    assert found is not None
    assert found.photo_file_id == "photo-1"
    assert await store.find_image(same, since=1_000_001.0) is None  # too old
    assert await store.find_image(replace(same, size="4K"), since=0) is None
    assert await store.find_image(replace(same, reference_ids=("ref-a",)), since=0) is None
