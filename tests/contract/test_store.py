"""One contract for every ``Store``: memory, SQLite and PostgreSQL behave the same."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

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


async def test_the_head_follows_every_exchange_and_reset(store):
    """Read before each change too: on SQLite the store keeps heads in memory."""
    key = ChatKey(5, 9)
    assert await store.load_head(key) is None
    for head in ("a", "b"):
        await store.save_exchange(key, head_id=head, user_text="x", model_text="y", keep_turns=10)
        assert await store.load_head(key) == head
    await store.reset_conversation(key)
    assert await store.load_head(key) is None
    assert await store.load_head(ChatKey(5)) is None  # the chat's other conversation


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
        reading=False,
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


async def test_fifty_simultaneous_requests_against_a_limit_of_ten_let_exactly_ten_through(store):
    results = await asyncio.gather(
        *(store.consume_quota(42, "2026-11-24", "images", limit=10) for _ in range(50))
    )
    assert results.count(True) == 10
    assert await store.quota_usage(42, "2026-11-24") == {"images": 10}


async def test_quota_counts_per_day_and_kind_and_refunds(store):
    day = "2026-11-24"
    assert await store.consume_quota(1, day, "images", amount=4, limit=10)
    assert not await store.consume_quota(1, day, "images", amount=7, limit=10)  # all or nothing
    assert await store.consume_quota(1, day, "messages", limit=None)  # unlimited still counts
    await store.refund_quota(1, day, "images", amount=3)
    assert await store.quota_usage(1, day) == {"images": 1, "messages": 1}
    assert await store.quota_usage(1, "2026-11-25") == {}
    await store.refund_quota(1, day, "images", amount=5)  # never below zero
    assert (await store.quota_usage(1, day))["images"] == 0
    assert not await store.consume_quota(2, day, "hd_images", limit=0)


async def test_users_keep_the_bots_decisions_across_profile_updates(store):
    from telegemini.core.models import Tier, UserRecord

    record = await store.remember_user(UserRef(7, "Ada", "AdaL", "en"), private=True)
    assert record == UserRecord(7, "Ada", "AdaL", "en", private_chat=True)
    await store.save_user(
        replace_user(record, tier=Tier.PREMIUM, banned=True, notices=frozenset({"banned"}))
    )
    again = await store.remember_user(UserRef(7, "Ada L.", "adal", "ru"))
    assert again.tier is Tier.PREMIUM
    assert again.banned
    assert again.notices == frozenset({"banned"})
    assert again.first_name == "Ada L."
    assert (await store.find_user("@ADAL")).id == 7
    assert await store.find_user("nobody") is None
    assert await store.load_user(999) is None


async def test_broadcast_targets_are_private_chats_that_did_not_block_the_bot(store):
    await store.remember_user(UserRef(1, "A"), private=True)
    await store.remember_user(UserRef(2, "B"))  # only seen in groups
    record = await store.remember_user(UserRef(3, "C"), private=True)
    await store.save_user(replace_user(record, blocked_bot=True))
    assert await store.broadcast_targets() == [1]
    await store.remember_user(UserRef(3, "C"), private=True)  # wrote again: unblocked
    assert await store.broadcast_targets() == [1, 3]


async def test_activity_counters_and_quota_usage_add_up(store):
    assert await store.count("2026-11-23", 1, "moderation") == 1
    assert await store.count("2026-11-23", 1, "moderation", 2) == 3
    await store.consume_quota(2, "2026-11-24", "images", limit=None)
    await store.consume_quota(2, "2026-11-25", "images", limit=None)
    await store.mark_active("2026-11-24", 2)
    await store.mark_active("2026-11-24", 2)  # once a day
    rows = await store.activity_rows("2026-11-23", "2026-11-24")
    assert rows == [
        ("2026-11-23", 1, "moderation", 3),
        ("2026-11-24", 2, "active", 1),
        ("2026-11-24", 2, "images", 1),
    ]


async def test_captcha_round_trip(store):
    from telegemini.core.models import Captcha

    captcha = Captcha(5, "🍎", 1_000.0, failures=2, cooldown_until=2_000.0, pending_text="hi")
    await store.save_captcha(captcha)
    assert await store.load_captcha(5) == captcha
    await store.delete_captcha(5)
    assert await store.load_captcha(5) is None


def replace_user(record, **changes):
    from dataclasses import replace

    return replace(record, **changes)


async def test_a_pending_broadcast_is_taken_once(store):
    await store.save_broadcast("tok-1", "We are back!")
    assert await store.take_broadcast("tok-1") == "We are back!"
    assert await store.take_broadcast("tok-1") is None  # a second tap, or another instance
    assert await store.take_broadcast("never-saved") is None


async def test_telegram_ids_beyond_32_bits_work_everywhere(store):
    """Supergroups are -100…, and user ids have passed 2**31: every statement takes them."""
    from telegemini.core.models import Preferences

    group, user = -1001234567890, 283235419000
    await store.remember_user(UserRef(user, "Big", None, "en"), private=True)
    await store.save_exchange(
        ChatKey(group, 3), head_id="h", user_text="q", model_text="a", keep_turns=2
    )
    await store.save_exchange(
        ChatKey(user), head_id="p", user_text="q", model_text="a", keep_turns=2
    )
    assert (await store.load_conversation(ChatKey(group, 3))).head_id == "h"
    assert (await store.load_conversation(ChatKey(user))).head_id == "p"
    assert await store.consume_quota(user, "2026-12-03", "messages", limit=5)
    assert await store.quota_usage(user, "2026-12-03") == {"messages": 1}
    await store.save_preferences(group, user, Preferences(voice="Puck"))
    assert (await store.load_preferences(group, user)).voice == "Puck"
