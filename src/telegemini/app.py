"""The process lifecycle: start what ``wiring`` built, serve, stop gracefully."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

from aiogram.exceptions import TelegramUnauthorizedError

from telegemini.collector import FullCollections
from telegemini.errors import TokenRejected
from telegemini.gemini.rest import GeminiRest
from telegemini.gemini.video import video_model_available
from telegemini.metrics import LoopWatch
from telegemini.settings import Settings
from telegemini.storage.sql import UPDATE_ID_RETENTION
from telegemini.tg.bot import ALLOWED_UPDATES, build_hot_types
from telegemini.tg.menus import publish_menus
from telegemini.wiring import Components, PublicUrl, open_components

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 8.0  # seconds for in-flight work after SIGTERM (Cloud Run allows 10)
_HOUSEKEEPING_EVERY = 3600.0
DEPENDENCY_CHECK_EVERY = 15.0  # seconds between checks of the database and Redis
PREMIUM_CHECK_EVERY = 60.0  # seconds between looks for bought Premium that ended


class Telegemini:
    """One running bot. ``start``/``stop`` for embedding and tests; ``run`` for the CLI."""

    def __init__(self, components: Components) -> None:
        self.components = components
        self.settings = components.settings
        self.store = components.store
        self.inbox = components.inbox
        self.bot = components.bot
        self.pump = components.pump
        self.webhook = components.webhook
        self.metrics = components.metrics
        self.limiter = components.limiter
        self.assistant = components.assistant
        self.metrics.on_scrape(self._inbox_gauges)
        self.running = False
        self.dependency_check_every = DEPENDENCY_CHECK_EVERY
        self.premium_check_every = PREMIUM_CHECK_EVERY
        self.loop_watch = LoopWatch(self.metrics)
        self._background: list[asyncio.Task[None]] = []
        self._watching: asyncio.Task[None] | None = None

    @classmethod
    async def create(cls, settings: Settings, *, public_url: PublicUrl | None = None) -> Telegemini:
        """Open the database (applying migrations) and the Gemini client, build the rest."""
        return cls(await open_components(settings, public_url=public_url))

    async def _inbox_gauges(self) -> None:
        depth, oldest = await self.inbox.depth()
        self.metrics.inbox_depth.set(depth)
        self.metrics.inbox_oldest.set(oldest or 0.0)

    async def readiness(self) -> dict[str, str]:
        return await self.components.dependencies.readiness()

    async def check_dependencies(self) -> None:
        await self.components.dependencies.check()

    async def start(self) -> None:
        parts = self.components
        try:
            me = await self.bot.me()  # getMe: the username the group rules need
        except TelegramUnauthorizedError:
            raise TokenRejected from None
        videos = parts.videos
        if videos is not None:
            videos.available = await self._video_model_available()
        await publish_menus(
            self.bot,
            self.settings.admin_user_ids,
            stars=self.settings.stars_enabled,
            video=videos is not None and videos.available,
        )
        if self.store.engine.dialect.name == "sqlite":
            # SQLite means one instance: claims left in the inbox are from our previous life.
            recovered = await self.inbox.recover_all()
            if recovered:
                log.info("resuming %d updates left unfinished by the last run", recovered)
        await parts.stops.start()
        if videos is not None:
            # SQLite means one instance: every clip still running is from our previous life.
            resumed = await videos.resume(everyone=self.store.engine.dialect.name == "sqlite")
            if resumed:
                log.info("resuming %d video clips left unfinished by the last run", resumed)
        # Before any update can arrive: the types every update uses, then everything loaded so
        # far, which lives as long as the process, moved out of the garbage collector's reach
        # (spares every later full collection a walk over the whole heap: ~60 ms, measured in
        # bench/bench_voice.py).
        build_hot_types(self.bot)
        gc.collect()
        gc.freeze()
        self.pump.start()
        if parts.webhook is not None:
            await self._start_webhook()
        else:
            assert parts.poller is not None
            await self.bot.delete_webhook()  # polling fails with 409 while a webhook is set
            parts.poller.start()
        self.running = True
        self._background = [
            asyncio.create_task(self._housekeep(), name="housekeeping"),
            asyncio.create_task(self._watch_dependencies(), name="dependencies"),
            asyncio.create_task(self._premium_endings(), name="premium-endings"),
            asyncio.create_task(
                FullCollections(busy=lambda: bool(parts.pump.in_flight)).run(),
                name="full-collections",
            ),
        ]
        if videos is not None:
            self._background.append(asyncio.create_task(videos.run(), name="video-jobs"))
        # Watched from here: the start-up above (its collection ~0.2 s) is not serving.
        self._watching = asyncio.create_task(self.loop_watch.run(), name="loop-watch")
        log.info("telegemini is running as @%s (%s mode)", me.username, self.settings.mode)

    async def _start_webhook(self) -> None:
        parts = self.components
        assert parts.webhook is not None
        assert parts.webhook_secret is not None
        port = await parts.webhook.start()
        base = parts.public_url(port) if parts.public_url else self.settings.webhook_url
        assert base is not None
        if urlsplit(base).scheme != "https":
            log.warning("WEBHOOK_URL is not https: Telegram itself only delivers to https URLs")
        await self.bot.set_webhook(
            url=f"{base.rstrip('/')}/webhook",
            secret_token=parts.webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
        )

    async def stop(self) -> None:
        """Stop taking updates, let in-flight work finish within the grace period, close."""
        parts = self.components
        self.running = False
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
        for task in self._background:
            # Awaited, not just cancelled: a query cut off while the pool closes can hang.
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._background = []
        if parts.webhook is not None:
            await parts.webhook.stop()
        if parts.poller is not None:
            await parts.poller.stop()
        await self.pump.stop()  # no new claims; what is in flight finishes or is handed back
        await self.pump.drain(SHUTDOWN_GRACE)
        if parts.videos is not None:
            await parts.videos.stop()  # clips stay stored: the next start resumes them
        await self.store.close()
        await self.limiter.close()
        await parts.stops.close()
        await self.bot.session.close()
        if parts.genai_client is not None:
            await parts.genai_client.aclose()
        if parts.gemini_streams is not None:
            await parts.gemini_streams.close()

    async def run(self) -> None:
        """Run until SIGINT or SIGTERM, or a fault the bot cannot carry on after (raised)."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        failure = self.components.failure
        try:
            await self.start()
        except BaseException:
            await self.stop()  # whatever had started (the database, the sessions) is closed
            raise
        try:
            stopping = asyncio.create_task(stop.wait())
            failing = asyncio.create_task(failure.happened.wait())
            await asyncio.wait({stopping, failing}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            failing.cancel()
        finally:
            log.info("stopping")
            await self.stop()
        if failure.error is not None:
            raise failure.error

    async def _video_model_available(self) -> bool:
        """VIDEO_MODEL exists for this key (``models.get``); when not, 🎬 and /video hide
        themselves (``doctor`` says why). A network problem is not taken as "missing"."""
        if self.components.genai_client is None:  # tests' own model fakes
            return True
        key = self.settings.google_api_key
        async with GeminiRest(
            api_key=key.get_secret_value() if key else None,
            base_url=self.settings.gemini_base_url,
        ) as rest:
            return await video_model_available(rest, self.settings.video_model)

    async def _premium_endings(self) -> None:
        """Tell users whose bought Premium ended that they are on the free tier again."""
        shop = self.assistant.shop
        while shop is not None:
            try:
                told = await shop.tell_endings()
                if told:
                    log.info("told %d users their Premium ended", told)
            except Exception:
                log.exception("telling Premium endings failed")
            await asyncio.sleep(self.premium_check_every)

    async def _watch_dependencies(self) -> None:
        while True:
            await asyncio.sleep(self.dependency_check_every)
            await self.check_dependencies()

    async def _housekeep(self) -> None:
        while True:
            try:
                removed = await self.inbox.prune(datetime.now(UTC) - UPDATE_ID_RETENTION)
                log.debug("forgot %d finished updates", removed)
            except Exception:
                log.exception("housekeeping failed")
            await asyncio.sleep(_HOUSEKEEPING_EVERY)
