"""Wiring: settings → storage, Gemini, core services, Telegram; and the process lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from google import genai
from telegram.ext import Application

from telegemini.coordination.memory import MemoryChatLocks, MemoryRateLimiter
from telegemini.core.conversation import error_reference
from telegemini.core.ports import ChatModel, ImageGenerator, RateLimiter, SpeechSynthesizer
from telegemini.gemini.chat import GeminiChatModel
from telegemini.gemini.client import make_client
from telegemini.gemini.images import GeminiImages
from telegemini.gemini.retry import RetryPolicy
from telegemini.gemini.speech import GeminiSpeech
from telegemini.metrics import (
    LoopWatch,
    MeteredChatModel,
    MeteredImages,
    MeteredSpeech,
    Metrics,
)
from telegemini.settings import Settings
from telegemini.storage.inbox import SqlInbox
from telegemini.storage.sql import UPDATE_ID_RETENTION, SqlStore
from telegemini.tg.application import ALLOWED_UPDATES, add_handlers, build_application
from telegemini.tg.feedback import EarlyTyping
from telegemini.tg.processor import ArrivalQueue, InboxPump, InboxUpdateProcessor
from telegemini.tg.webhook import WebhookServer, derived_secret
from telegemini.wiring import build_assistant

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 8.0  # seconds for in-flight work after SIGTERM (Cloud Run allows 10)
_HOUSEKEEPING_EVERY = 3600.0
DEPENDENCY_CHECK_EVERY = 15.0  # seconds between checks of the database and Redis


class Telegemini:
    """One running bot. ``start``/``stop`` for embedding and tests; ``run`` for the CLI."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: SqlStore,
        chat_model: ChatModel,
        speech: SpeechSynthesizer | None = None,
        images: ImageGenerator | None = None,
        genai_client: genai.Client | None = None,
        public_url: Callable[[int], str] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self._genai_client = genai_client
        self._public_url = public_url
        self.locks = MemoryChatLocks()
        self.metrics = Metrics()
        self.application: Application = build_application(  # type: ignore[type-arg]
            settings, on_flood=self._flood
        )
        self.limiter: RateLimiter = MemoryRateLimiter()
        if settings.redis_url:
            from telegemini.coordination.redis import RedisRateLimiter  # only when configured

            self.limiter = RedisRateLimiter.from_url(settings.redis_url)
        self.inbox = SqlInbox(store.engine)
        self.pump = InboxPump(self.inbox, self.application, lease=settings.inbox_lease)
        self.pump.metrics = self.metrics
        processor = self.application.update_processor
        assert isinstance(processor, InboxUpdateProcessor)
        processor.pump = self.pump
        processor.metrics = self.metrics
        self.metrics.on_scrape(self._inbox_gauges)
        metrics = self.metrics
        self.assistant = build_assistant(
            settings,
            store=store,
            bot=self.application.bot,
            limiter=self.limiter,
            spawn=self.application.create_task,
            chat_model=MeteredChatModel(chat_model, metrics, settings.chat_model),
            speech=MeteredSpeech(speech, metrics, settings.tts_model) if speech else None,
            images=MeteredImages(images, metrics, settings.image_model) if images else None,
            observer=metrics,
        )
        early = EarlyTyping(
            self.application.bot,
            admins=settings.admin_user_ids,
            allowed_users=settings.allowed_user_ids,
            allowed_chats=settings.allowed_chat_ids,
        )
        self.pump.early = early
        if isinstance(self.application.update_queue, ArrivalQueue):
            self.application.update_queue.on_arrival = self.pump.acknowledge
        add_handlers(self.application, self.assistant, self.locks, early)
        self.webhook: WebhookServer | None = None
        self._housekeeping: asyncio.Task[None] | None = None
        self._dependencies: asyncio.Task[None] | None = None
        self.dependency_check_every = DEPENDENCY_CHECK_EVERY
        self._down: set[str] = set()  # dependencies found unreachable and not back yet
        self.loop_watch = LoopWatch(self.metrics)
        self._watching: asyncio.Task[None] | None = None

    async def _inbox_gauges(self) -> None:
        depth, oldest = await self.inbox.depth()
        self.metrics.inbox_depth.set(depth)
        self.metrics.inbox_oldest.set(oldest or 0.0)

    async def readiness(self) -> dict[str, str]:
        """What /readyz reports: each dependency "ok", "not configured", or what is wrong."""
        checks: dict[str, str] = {}
        try:
            async with asyncio.timeout(3):
                await self.inbox.depth()
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable ({type(exc).__name__})"
        ping = getattr(self.limiter, "ping", None)
        if ping is not None:
            try:
                async with asyncio.timeout(3):
                    await ping()
                checks["redis"] = "ok"
            except Exception as exc:
                checks["redis"] = f"unreachable ({type(exc).__name__})"
        else:
            checks["redis"] = "not configured"
        return checks

    async def _flood(self, endpoint: str, chat_id: object, seconds: float) -> None:
        """Telegram told the bot to slow down: the operator should know (throttled)."""
        self.metrics.telegram_floods.labels(endpoint).inc()
        await self.assistant.alerter.report(
            "telegram:flood",
            f"Telegram flood control: {endpoint} must wait {seconds:.0f} s",
            ref=error_reference(),
            details=f"chat {chat_id}",
        )

    @classmethod
    async def create(cls, settings: Settings, **kwargs: object) -> Telegemini:
        """Open the database (applying migrations) and the Gemini client."""
        store = await SqlStore.open(settings.database_url)
        client = make_client(settings)
        retry = RetryPolicy(
            attempts=settings.gemini_retry_attempts, budget=settings.gemini_retry_budget
        )
        model = GeminiChatModel(
            client, model=settings.chat_model, timeout=settings.gemini_timeout, retry=retry
        )
        speech = GeminiSpeech(
            client, model=settings.tts_model, timeout=settings.gemini_timeout, retry=retry
        )
        images = GeminiImages(
            client, model=settings.image_model, timeout=settings.image_timeout, retry=retry
        )
        return cls(
            settings,
            store=store,
            chat_model=model,
            speech=speech,
            images=images,
            genai_client=client,
            **kwargs,  # type: ignore[arg-type]
        )

    async def start(self) -> None:
        app = self.application
        await app.initialize()
        if app.post_init is not None:
            await app.post_init(app)
        if self.store.engine.dialect.name == "sqlite":
            # SQLite means one instance: claims left in the inbox are from our previous life.
            recovered = await self.inbox.recover_all()
            if recovered:
                log.info("resuming %d updates left unfinished by the last run", recovered)
        await app.start()
        self.pump.start()
        if self.settings.mode == "webhook":
            await self._start_webhook()
        else:
            assert app.updater is not None
            await app.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        self._housekeeping = asyncio.create_task(self._housekeep(), name="housekeeping")
        self._dependencies = asyncio.create_task(self._watch_dependencies(), name="dependencies")
        # Everything loaded so far lives as long as the process. Moving it out of the garbage
        # collector's reach spares every later full collection a walk over the whole heap,
        # which otherwise stalls the event loop for ~60 ms (measured in bench/bench_voice.py).
        gc.collect()
        gc.freeze()
        # Watched from here: the collection just above is start-up, not serving (~0.2 s).
        self._watching = asyncio.create_task(self.loop_watch.run(), name="loop-watch")
        log.info("telegemini is running as @%s (%s mode)", app.bot.username, self.settings.mode)

    async def _start_webhook(self) -> None:
        settings = self.settings
        secret = (
            settings.telegram_secret_token.get_secret_value()
            if settings.telegram_secret_token
            else derived_secret(settings.token())
        )
        self.webhook = WebhookServer(self.application, self.pump, secret=secret, port=settings.port)
        self.webhook.metrics = self.metrics
        self.webhook.readiness = self.readiness
        port = await self.webhook.start()
        base = self._public_url(port) if self._public_url else settings.webhook_url
        assert base is not None
        if urlsplit(base).scheme != "https":
            log.warning("WEBHOOK_URL is not https: Telegram itself only delivers to https URLs")
        await self.application.bot.set_webhook(
            url=f"{base.rstrip('/')}/webhook",
            secret_token=secret,
            allowed_updates=ALLOWED_UPDATES,
        )

    async def stop(self) -> None:
        """Stop taking updates, let in-flight work finish within the grace period, close."""
        app = self.application
        if self._watching is not None:
            # Serving ends here; what shutting down takes is not a stall of the service.
            self._watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watching
            log.info(
                "event loop: longest stall %.1f ms over %.0f s",
                self.loop_watch.longest * 1000,
                time.monotonic() - self.loop_watch.started,
            )
            self._watching = None
        for task in (self._housekeeping, self._dependencies):
            if task is not None:
                # Awaited, not just cancelled: a query cut off while the pool closes can hang.
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._housekeeping = self._dependencies = None
        if self.webhook is not None:
            await self.webhook.stop()
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        await self.pump.stop()  # no new claims; what is in flight finishes below
        if app.running:
            try:
                await asyncio.wait_for(app.stop(), SHUTDOWN_GRACE)
            except TimeoutError:
                log.warning("in-flight updates did not finish within %.0fs", SHUTDOWN_GRACE)
        await self.pump.release_unfinished()
        await app.shutdown()
        await self.store.close()
        await self.limiter.close()
        if self._genai_client is not None:
            await self._genai_client.aio.aclose()

    async def run(self) -> None:
        """Run until SIGINT or SIGTERM."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await self.start()
        try:
            await stop.wait()
        finally:
            log.info("stopping")
            await self.stop()

    async def _watch_dependencies(self) -> None:
        while True:
            await asyncio.sleep(self.dependency_check_every)
            await self.check_dependencies()

    async def check_dependencies(self) -> None:
        """The database and Redis, checked every few seconds: an outage and the recovery are
        logged, shown in ``telegemini_dependency_up`` and sent to the admins as alerts.
        Meanwhile ``/readyz`` answers 503, the inbox pump retries with backoff and rate limits
        fail open, so nothing waits on this check to recover."""
        for name, status in (await self.readiness()).items():
            if status == "not configured":
                continue
            up = status == "ok"
            self.metrics.dependency_up.labels(name).set(1 if up else 0)
            if not up and name not in self._down:
                self._down.add(name)
                log.error("%s is %s; retrying meanwhile", name, status)
                await self.assistant.alerter.report(
                    f"dependency:{name}", f"{name} is {status}", ref=error_reference()
                )
            elif up and name in self._down:
                self._down.discard(name)
                log.warning("%s is reachable again", name)
                await self.assistant.alerter.report(
                    f"dependency:{name}:back", f"{name} is reachable again", ref=error_reference()
                )

    async def _housekeep(self) -> None:
        while True:
            try:
                removed = await self.inbox.prune(datetime.now(UTC) - UPDATE_ID_RETENTION)
                log.debug("forgot %d finished updates", removed)
            except Exception:
                log.exception("housekeeping failed")
            await asyncio.sleep(_HOUSEKEEPING_EVERY)
