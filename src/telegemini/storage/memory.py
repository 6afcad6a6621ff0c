"""``Store`` in process memory: for unit tests and throwaway runs; nothing survives a restart."""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime

from telegemini.core.images import request_key
from telegemini.core.models import ChatKey, Conversation, ImageJob, Preferences, Turn, UserRef


class MemoryStore:
    def __init__(self) -> None:
        self._updates: dict[int, datetime] = {}
        self.users: dict[int, UserRef] = {}
        self._heads: dict[ChatKey, str] = {}
        self._turns: dict[ChatKey, deque[Turn]] = {}
        self._preferences: dict[tuple[int, int], Preferences] = {}
        self.image_jobs: dict[str, ImageJob] = {}

    async def claim_update(self, update_id: int) -> bool:
        if update_id in self._updates:
            return False
        self._updates[update_id] = datetime.now(UTC)
        return True

    async def forget_updates_before(self, cutoff: datetime) -> int:
        old = [u for u, at in self._updates.items() if at < cutoff]
        for update_id in old:
            del self._updates[update_id]
        return len(old)

    async def remember_user(self, user: UserRef) -> None:
        self.users[user.id] = user

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
