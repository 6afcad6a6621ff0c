"""``Store`` in process memory: for unit tests and throwaway runs; nothing survives a restart."""

from __future__ import annotations

from collections import deque
from dataclasses import replace

from telegemini.core.images import request_key
from telegemini.core.models import (
    Captcha,
    ChatKey,
    Conversation,
    ImageJob,
    Preferences,
    Turn,
    UserRecord,
    UserRef,
)


class MemoryStore:
    def __init__(self) -> None:
        self.users: dict[int, UserRecord] = {}
        self._quota: dict[tuple[int, str, str], int] = {}
        self._activity: dict[tuple[str, int, str], int] = {}
        self._captchas: dict[int, Captcha] = {}
        self._heads: dict[ChatKey, str] = {}
        self._turns: dict[ChatKey, deque[Turn]] = {}
        self._preferences: dict[tuple[int, int], Preferences] = {}
        self.image_jobs: dict[str, ImageJob] = {}
        self._broadcasts: dict[str, str] = {}

    async def remember_user(self, user: UserRef, *, private: bool = False) -> UserRecord:
        old = self.users.get(user.id) or UserRecord(id=user.id)
        record = replace(
            old,
            first_name=user.first_name,
            username=user.username,
            language_code=user.language_code,
            private_chat=old.private_chat or private,
            blocked_bot=old.blocked_bot and not private,
        )
        self.users[user.id] = record
        return record

    async def load_user(self, user_id: int) -> UserRecord | None:
        return self.users.get(user_id)

    async def find_user(self, username: str) -> UserRecord | None:
        key = username.lstrip("@").lower()
        return next((u for u in self.users.values() if (u.username or "").lower() == key), None)

    async def save_user(self, record: UserRecord) -> None:
        old = self.users.get(record.id) or record
        self.users[record.id] = replace(
            old,
            tier=record.tier,
            banned=record.banned,
            allowed=record.allowed,
            verified=record.verified,
            blocked_bot=record.blocked_bot,
            notices=record.notices,
            tier_pinned=record.tier_pinned,
        )

    async def broadcast_targets(self) -> list[int]:
        return sorted(u.id for u in self.users.values() if u.private_chat and not u.blocked_bot)

    async def consume_quota(
        self, user_id: int, day: str, kind: str, *, amount: int = 1, limit: int | None
    ) -> bool:
        key = (user_id, day, kind)
        used = self._quota.get(key, 0)
        if limit is not None and used + amount > limit:
            return False
        self._quota[key] = used + amount
        return True

    async def refund_quota(self, user_id: int, day: str, kind: str, *, amount: int = 1) -> None:
        key = (user_id, day, kind)
        if key in self._quota:
            self._quota[key] = max(0, self._quota[key] - amount)

    async def quota_usage(self, user_id: int, day: str) -> dict[str, int]:
        return {k: n for (u, d, k), n in self._quota.items() if u == user_id and d == day}

    async def mark_active(self, day: str, user_id: int) -> None:
        self._activity[(day, user_id, "active")] = 1

    async def count(self, day: str, user_id: int, kind: str, amount: int = 1) -> int:
        key = (day, user_id, kind)
        self._activity[key] = self._activity.get(key, 0) + amount
        return self._activity[key]

    async def activity_rows(self, first_day: str, last_day: str) -> list[tuple[str, int, str, int]]:
        counters = [(d, u, k, n) for (d, u, k), n in self._activity.items()]
        usage = [(d, u, k, n) for (u, d, k), n in self._quota.items()]
        return sorted(r for r in counters + usage if first_day <= r[0] <= last_day)

    async def save_broadcast(self, token: str, text: str) -> None:
        self._broadcasts[token] = text

    async def take_broadcast(self, token: str) -> str | None:
        return self._broadcasts.pop(token, None)

    async def load_captcha(self, user_id: int) -> Captcha | None:
        return self._captchas.get(user_id)

    async def save_captcha(self, captcha: Captcha) -> None:
        self._captchas[captcha.user_id] = captcha

    async def delete_captcha(self, user_id: int) -> None:
        self._captchas.pop(user_id, None)

    async def load_head(self, key: ChatKey) -> str | None:
        return self._heads.get(key)

    async def load_conversation(self, key: ChatKey) -> Conversation:
        return Conversation(
            key=key, head_id=self._heads.get(key), transcript=tuple(self._turns.get(key, ()))
        )

    async def save_exchange(
        self, key: ChatKey, *, head_id: str, user_text: str, model_text: str, keep_turns: int
    ) -> None:
        self._heads[key] = head_id
        turns = self._turns.setdefault(key, deque())
        turns.extend((Turn("user", user_text), Turn("model", model_text)))
        while len(turns) > keep_turns:
            turns.popleft()

    async def reset_conversation(self, key: ChatKey) -> None:
        self._heads.pop(key, None)
        self._turns.pop(key, None)

    async def load_preferences(self, chat_id: int, user_id: int) -> Preferences:
        return self._preferences.get((chat_id, user_id), Preferences())

    async def save_preferences(self, chat_id: int, user_id: int, prefs: Preferences) -> None:
        self._preferences[(chat_id, user_id)] = prefs

    async def save_image_job(self, job: ImageJob) -> None:
        self.image_jobs[job.id] = job

    async def load_image_job(self, job_id: str) -> ImageJob | None:
        return self.image_jobs.get(job_id)

    async def find_image(self, job: ImageJob, *, since: float) -> ImageJob | None:
        key = request_key(job)
        matches = [
            j
            for j in self.image_jobs.values()
            if j.photo_file_id and j.created_at >= since and request_key(j) == key
        ]
        return max(matches, key=lambda j: j.created_at, default=None)

    async def close(self) -> None:
        return None
