"""The storage layer alone: CPU per text update's storage work on SQLite and PostgreSQL.

One text update's statements as the bot makes them: inbox put, claim, user and preferences
(cached after the first message), quota, head, exchange, finish. Each measurement runs in a child
process (``time.process_time`` counts every thread of it, SQLite's included). With
``BENCH_BASELINE_SRC`` set to other trees' ``src`` (comma-separated; e.g. ``git archive`` of an
older commit), those trees are measured in the same run, interleaved with this one: an A/B.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.results import Figure, info

ROUNDS = 3
NEW_USERS = 150  # first messages: nothing cached yet
UPDATES = 600  # then messages of those users (user, preferences and active day cached)
IN_FLIGHT = int(os.environ.get("BENCH_IN_FLIGHT", "32"))
POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
_PAYLOAD = json.dumps(
    {
        "update_id": 0,
        "message": {
            "message_id": 1,
            "date": 1767225600,
            "chat": {"id": 0, "type": "private", "first_name": "Ann"},
            "from": {"id": 0, "is_bot": False, "first_name": "Ann", "language_code": "en"},
            "text": "What is the tallest mountain in Europe, and how high is it?",
        },
    }
)
_ANSWER = "Mount Elbrus, in the Caucasus, is 5,642 m high. " * 8


async def _workload(url: str, schema: str | None) -> dict[str, float]:
    from telegemini.core.models import ChatKey, UserRef
    from telegemini.storage.inbox import SqlInbox
    from telegemini.storage.sql import SqlStore

    store = await SqlStore.open(url, schema=schema)
    inbox = SqlInbox(store.engine)
    day = "2027-01-01"
    next_id = iter(range(1, 10**9))

    async def update(user_id: int) -> None:
        update_id = next(next_id)
        key = ChatKey(user_id)
        await inbox.put(update_id, key, _PAYLOAD)
        items = await inbox.claim(f"w{user_id}", lease=60.0, limit=1)
        await store.remember_user(UserRef(user_id, "Ann", None, "en"), private=True)
        await store.load_preferences(user_id, user_id)
        await store.mark_active(day, user_id)
        await store.consume_quota(user_id, day, "text", limit=1_000_000)
        head = await store.load_head(key)
        await store.save_exchange(
            key,
            head_id=f"h{update_id}",
            user_text=f"question after {head}",
            model_text=_ANSWER,
            keep_turns=20,
        )
        await inbox.finish([i.update_id for i in items], f"w{user_id}")

    async def phase(users: list[int]) -> tuple[float, float]:
        queue = list(reversed(users))

        async def flow() -> None:
            while queue:
                await update(queue.pop())

        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(flow() for _ in range(IN_FLIGHT)))
        return time.process_time() - cpu, time.perf_counter() - wall

    try:
        await phase([10**6 + n for n in range(20)])  # warm-up: imports, compiled cache, pool
        first_cpu, _ = await phase(list(range(1, NEW_USERS + 1)))
        users = [1 + n % NEW_USERS for n in range(UPDATES)]
        cpu, wall = await phase(users)
    finally:
        await store.close()
    return {
        "first_ms": first_cpu / NEW_USERS * 1000,
        "cpu_ms": cpu / UPDATES * 1000,
        "per_s": UPDATES / wall,
    }


async def _child(database: str) -> dict[str, float]:
    if database == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            return await _workload(f"sqlite+aiosqlite:///{tmp}/bench.db", None)
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(POSTGRES_URL)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        return await _workload(POSTGRES_URL, schema)
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


def measure(database: str, src: str | None = None) -> dict[str, float]:
    """One measurement in a child process, of this tree or of ``src``."""
    env = dict(os.environ)
    root = str(Path(__file__).parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, root) if p)
    out = subprocess.run(  # noqa: S603 - this interpreter and a fixed module
        [sys.executable, "-m", "bench.bench_storage", database],
        env=env,
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> list[Figure]:
    baseline = os.environ.get("BENCH_BASELINE_SRC", "")
    trees: list[tuple[str, str | None]] = [(src, src) for src in baseline.split(",") if src]
    trees.append(("this tree", None))
    figures: list[Figure] = []
    for database in ("sqlite", "postgres"):
        runs: dict[str, list[dict[str, float]]] = {name: [] for name, _ in trees}
        for _ in range(ROUNDS):
            for name, src in trees:
                runs[name].append(measure(database, src))
                print(f"{database} {name}: {runs[name][-1]}", flush=True)
        for name, _ in trees:
            label = f"{database}, {name}" if len(trees) > 1 else database
            mine = runs[name]
            spread = ", ".join(f"{r['cpu_ms']:.2f}" for r in mine)
            figures += [
                info(
                    f"{label}: storage CPU per text update", _median(mine, "cpu_ms"), "ms", spread
                ),
                info(f"{label}: storage CPU per first message", _median(mine, "first_ms"), "ms"),
                info(f"{label}: text updates/s, storage alone", _median(mine, "per_s"), "/s"),
            ]
    return figures


def _median(runs: list[dict[str, float]], field: str) -> float:
    return statistics.median(r[field] for r in runs)


def _print(result: Any) -> None:
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    _print(asyncio.run(_child(sys.argv[1])))
