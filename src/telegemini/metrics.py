"""Prometheus metrics, one registry per bot (several bots may live in one test process)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from telegemini.core.models import ChatEvent, ChatRequest, GeneratedImage, ImagePart, Speech
from telegemini.core.ports import ChatModel, ImageGenerator, SpeechSynthesizer

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates_received = Counter(
            "telegemini_updates_received", "Updates stored in the inbox", ["source"], registry=r
        )
        self.updates_duplicate = Counter(
            "telegemini_updates_duplicate", "Redelivered updates refused", registry=r
        )
        self.updates_processed = Counter(
            "telegemini_updates_processed", "Updates handled", ["kind", "result"], registry=r
        )
        self.update_seconds = Histogram(
            "telegemini_update_seconds",
            "Time to handle one update, by kind",
            ["kind"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.gemini_seconds = Histogram(
            "telegemini_gemini_seconds",
            "Gemini call latency",
            ["model", "call"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.gemini_errors = Counter(
            "telegemini_gemini_errors", "Gemini failures", ["model", "error"], registry=r
        )
        self.telegram_floods = Counter(
            "telegemini_telegram_flood_waits", "Telegram 429 answers", ["method"], registry=r
        )
        self.errors = Counter(
            "telegemini_errors", "Unexpected errors while handling updates", ["error"], registry=r
        )
        self.quota_denials = Counter(
            "telegemini_quota_denials", "Requests refused by a daily quota", ["kind"], registry=r
        )
        self.inbox_depth = Gauge(
            "telegemini_inbox_depth", "Updates stored and not finished", registry=r
        )
        self.inbox_oldest = Gauge(
            "telegemini_inbox_oldest_seconds", "Age of the oldest unfinished update", registry=r
        )
        self.dependency_up = Gauge(
            "telegemini_dependency_up",
            "1 while a dependency (database, redis) answers, 0 while it does not",
            ["name"],
            registry=r,
        )
        self.loop_stall = Gauge(
            "telegemini_event_loop_stall_seconds",
            "Longest event-loop stall since start (a 50 ms ticker's lateness)",
            registry=r,
        )
        self._refresh: list[Callable[[], Awaitable[None]]] = []

    def on_scrape(self, refresh: Callable[[], Awaitable[None]]) -> None:
        """Run ``refresh`` before each scrape (gauges read from the database)."""
        self._refresh.append(refresh)

    async def render(self) -> bytes:
        for refresh in self._refresh:
            await refresh()
        return generate_latest(self.registry)

    # --- hooks for the core and the adapters --------------------------------------------------

    def quota_denied(self, kind: str) -> None:
        self.quota_denials.labels(kind).inc()

    def failed(self, error: str) -> None:
        self.errors.labels(error).inc()


class MeteredChatModel:
    """``ChatModel`` that times every answer and counts failures by class."""

    def __init__(self, inner: ChatModel, metrics: Metrics, model: str) -> None:
        self._inner = inner
        self._metrics = metrics
        self._model = model

    async def stream(self, request: ChatRequest) -> AsyncGenerator[ChatEvent, None]:
        started = time.perf_counter()
        try:
            async with contextlib.aclosing(self._inner.stream(request)) as events:
                async for event in events:
                    yield event
        except Exception as exc:
            self._metrics.gemini_errors.labels(self._model, type(exc).__name__).inc()
            raise
        finally:
            elapsed = time.perf_counter() - started
            self._metrics.gemini_seconds.labels(self._model, "chat").observe(elapsed)


class MeteredSpeech:
    def __init__(self, inner: SpeechSynthesizer, metrics: Metrics, model: str) -> None:
        self._inner = inner
        self._metrics = metrics
        self._model = model
        self.voices = inner.voices

    async def synthesize(self, text: str, *, voice: str, style: str | None = None) -> Speech:
        with _timed(self._metrics, self._model, "speech"):
            return await self._inner.synthesize(text, voice=voice, style=style)


class MeteredImages:
    def __init__(self, inner: ImageGenerator, metrics: Metrics, model: str) -> None:
        self._inner = inner
        self._metrics = metrics
        self._model = model
        self.sizes = inner.sizes
        self.max_references = inner.max_references

    async def generate(
        self, prompt: str, *, size: str, aspect_ratio: str | None, references: list[ImagePart]
    ) -> GeneratedImage:
        with _timed(self._metrics, self._model, "image"):
            return await self._inner.generate(
                prompt, size=size, aspect_ratio=aspect_ratio, references=references
            )


@contextlib.contextmanager
def _timed(metrics: Metrics, model: str, call: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    except Exception as exc:
        metrics.gemini_errors.labels(model, type(exc).__name__).inc()
        raise
    finally:
        metrics.gemini_seconds.labels(model, call).observe(time.perf_counter() - started)


class LoopWatch:
    """Measures how late a 50 ms ticker wakes up: the event loop's longest stall."""

    def __init__(self, metrics: Metrics, tick: float = 0.05) -> None:
        self._metrics = metrics
        self._tick = tick
        self.longest = 0.0
        self.started = time.monotonic()

    async def run(self) -> None:
        self.started = time.monotonic()
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self._tick)
            late = time.perf_counter() - before - self._tick
            if late > self.longest:
                self.longest = late
                self._metrics.loop_stall.set(late)
