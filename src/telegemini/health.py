"""The database and Redis, watched: ``/readyz`` reports them, and an outage and the recovery are
logged, shown in ``telegemini_dependency_up`` and sent to the admins as alerts. Meanwhile the
inbox pump retries with backoff and rate limits fail open, so nothing waits on this to recover."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from telegemini.core.alerts import Alerter
from telegemini.core.conversation import error_reference
from telegemini.core.ports import RateLimiter
from telegemini.metrics import Metrics

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 3.0  # seconds for each dependency to answer


class Probe(Protocol):
    async def depth(self) -> tuple[int, float | None]: ...


class Dependencies:
    def __init__(
        self, database: Probe, limiter: RateLimiter, metrics: Metrics, alerter: Alerter
    ) -> None:
        self.database = database
        self._limiter = limiter
        self._metrics = metrics
        self._alerter = alerter
        self._down: set[str] = set()  # found unreachable and not back yet

    async def readiness(self) -> dict[str, str]:
        """What /readyz reports: each dependency "ok", "not configured", or what is wrong."""
        checks: dict[str, str] = {}
        try:
            async with asyncio.timeout(CHECK_TIMEOUT):
                await self.database.depth()
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable ({type(exc).__name__})"
        ping = getattr(self._limiter, "ping", None)
        if ping is not None:
            try:
                async with asyncio.timeout(CHECK_TIMEOUT):
                    await ping()
                checks["redis"] = "ok"
            except Exception as exc:
                checks["redis"] = f"unreachable ({type(exc).__name__})"
        else:
            checks["redis"] = "not configured"
        return checks

    async def check(self) -> None:
        """One round: record each dependency's state, report changes."""
        for name, status in (await self.readiness()).items():
            if status == "not configured":
                continue
            up = status == "ok"
            self._metrics.dependency_up.labels(name).set(1 if up else 0)
            if not up and name not in self._down:
                self._down.add(name)
                log.error("%s is %s; retrying meanwhile", name, status)
                await self._alerter.report(
                    f"dependency:{name}", f"{name} is {status}", ref=error_reference()
                )
            elif up and name in self._down:
                self._down.discard(name)
                log.warning("%s is reachable again", name)
                await self._alerter.report(
                    f"dependency:{name}:back", f"{name} is reachable again", ref=error_reference()
                )
