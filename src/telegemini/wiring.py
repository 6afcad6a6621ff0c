"""The one place the object graph is built: settings → storage, Gemini, core services, Telegram
(bot, dispatcher, inbox pump, long polling or webhook). No lifecycle here: ``app.py`` starts and
stops what ``build`` returns."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from aiogram import Bot, Dispatcher

from telegemini.coordination.memory import MemoryRateLimiter
from telegemini.coordination.stops import MemoryStopSignals
from telegemini.core.admin import AdminDesk
from telegemini.core.alerts import Alerter
from telegemini.core.assistant import Assistant, AssistantConfig
from telegemini.core.captcha import CaptchaConfig, CaptchaDesk
from telegemini.core.chat import DEFAULT_SYSTEM_INSTRUCTION, ChatConfig, ChatService
from telegemini.core.clips import VideoGenerator
from telegemini.core.conversation import Conversation, ConversationConfig, error_reference
from telegemini.core.documents import DocumentReader
from telegemini.core.guards import (
    DEFAULT_RATES,
    Guard,
    GuardConfig,
    RateRule,
    parse_quota_overrides,
)
from telegemini.core.images import ImageConfig, ImageService
from telegemini.core.models import GeneratedImage, ImagePart
from telegemini.core.moderation import Blocklist
from telegemini.core.offers import ShopConfig, parse_packs
from telegemini.core.ports import (
    ChatModel,
    ImageGenerator,
    Observer,
    PaymentStore,
    RateLimiter,
    SpeechSynthesizer,
    StopSignals,
    Store,
)
from telegemini.core.shop import Shop
from telegemini.core.video_desk import VideoDesk
from telegemini.core.videos import VideoConfig, VideoStudio
from telegemini.core.voice import VoiceConfig, VoiceService
from telegemini.errors import ImageNotMade
from telegemini.gemini.chat import GeminiChatModel
from telegemini.gemini.images import GeminiImages
from telegemini.gemini.retry import RetryPolicy
from telegemini.gemini.sdk import LazyClient
from telegemini.gemini.speech import GeminiSpeech
from telegemini.gemini.stream import InteractionStreams
from telegemini.gemini.video import GeminiVideo
from telegemini.health import Dependencies
from telegemini.media.charts import MatplotlibCharts
from telegemini.media.codec import PyAvAudioCodec
from telegemini.media.images import PillowImageCodec
from telegemini.media.video import PyAvVideoProbe
from telegemini.metrics import MeteredChatModel, MeteredImages, MeteredSpeech, Metrics
from telegemini.settings import Settings
from telegemini.storage.inbox import SqlInbox
from telegemini.storage.payments import SqlPayments
from telegemini.storage.sql import SqlStore
from telegemini.storage.videos import SqlVideoJobs
from telegemini.tg.bot import ALLOWED_UPDATES, make_bot
from telegemini.tg.feedback import EarlyTyping
from telegemini.tg.files import TelegramFiles
from telegemini.tg.messenger import TelegramMessenger
from telegemini.tg.outputs import TelegramOutputs
from telegemini.tg.payments import TelegramCheckout
from telegemini.tg.polling import LongPoller
from telegemini.tg.pump import InboxPump
from telegemini.tg.ratelimit import FloodHook, TelegramRateLimiter
from telegemini.tg.rich import RichMessages
from telegemini.tg.routes import build_routes, feeder
from telegemini.tg.webhook import WebhookServer, derived_secret

Spawn = Callable[[Awaitable[None]], object]
PublicUrl = Callable[[int], str]  # the webhook server's port → the base URL Telegram calls


def guard_config(settings: Settings) -> GuardConfig:
    rates = dict(DEFAULT_RATES)
    for kind, rule in settings.rates.items():
        base = rates.get(kind, RateRule(per_minute=60, burst=10))
        rates[kind] = RateRule(
            per_minute=rule.get("per_minute", base.per_minute),
            burst=int(rule.get("burst", base.burst)),
        )
    return GuardConfig(
        admins=frozenset(settings.admin_user_ids),
        allowed_users=frozenset(settings.allowed_user_ids),
        allowed_chats=frozenset(settings.allowed_chat_ids),
        quotas=parse_quota_overrides(settings.quotas),
        rates=rates,
        timezone=ZoneInfo(settings.quota_timezone),
    )


def shop_config(settings: Settings) -> ShopConfig:
    return ShopConfig(
        enabled=settings.stars_enabled,
        premium_stars=settings.premium_monthly_stars,
        packs=parse_packs(settings.image_packs),
        paysupport_text=settings.paysupport_text or "",
        terms_text=settings.terms_text or "",
    )


def load_blocklist(settings: Settings) -> Blocklist:
    path = settings.moderation_blocklist
    return Blocklist.parse(path.read_text(encoding="utf-8")) if path is not None else Blocklist()


def build_assistant(
    settings: Settings,
    *,
    store: Store,
    bot: Bot,
    limiter: RateLimiter,
    spawn: Spawn,
    chat_model: ChatModel,
    speech: SpeechSynthesizer | None,
    images: ImageGenerator | None,
    observer: Observer | None = None,
    stops: StopSignals | None = None,
    video: VideoStudio | None = None,
    payments: PaymentStore | None = None,
) -> Assistant:
    files = TelegramFiles(bot)
    messenger = TelegramMessenger(bot)
    # Image packs are used only while Stars are sold (bought ones stay for when they are).
    guard = Guard(
        store,
        limiter,
        guard_config(settings),
        observer=observer,
        payments=payments if settings.stars_enabled else None,
    )
    shop = None
    if payments is not None:
        checkout = TelegramCheckout(bot)
        shop = Shop(
            store, payments, guard, shop_config(settings), checkout=checkout, messenger=messenger
        )
    chat = ChatService(
        chat_model,
        store,
        ChatConfig(
            system_instruction=settings.system_prompt or DEFAULT_SYSTEM_INSTRUCTION,
            keep_turns=settings.history_turns,
            stream=settings.stream_replies,
            attempts=settings.gemini_retry_attempts,
            answer_timeout=settings.gemini_timeout,
        ),
        stops,
    )
    voice = VoiceService(
        files,
        PyAvAudioCodec(),
        speech,
        VoiceConfig(
            max_input_seconds=settings.voice_max_duration, default_voice=settings.tts_voice
        ),
    )
    image_service = ImageService(
        images or NoImages(),
        PillowImageCodec(),
        files,
        store,
        ImageConfig(reuse_seconds=settings.image_reuse_seconds),
    )
    conversation = Conversation(
        chat,
        store,
        voice,
        image_service,
        guard,
        load_blocklist(settings),
        ConversationConfig(
            custom_instruction=settings.system_prompt, autoban_after=settings.moderation_autoban
        ),
        documents=DocumentReader(files),
    )
    if video is not None:
        conversation.videos = VideoDesk(video, guard, files, conversation.moderate)
        image_service.animate = lambda: video.available
    alert_targets = [settings.alert_chat_id] if settings.alert_chat_id else settings.admin_user_ids
    return Assistant(
        store=store,
        guard=guard,
        conversation=conversation,
        captcha=CaptchaDesk(store, CaptchaConfig(enabled=settings.captcha_enabled)),
        admin=AdminDesk(store, guard, MatplotlibCharts(), messenger, spawn, shop=shop),
        alerter=Alerter(messenger, alert_targets),
        voices=voice.voices,
        config=AssistantConfig(
            voice_replies_default=settings.voice_enabled,
            default_voice=settings.tts_voice,
            search_enabled=settings.google_search_enabled,
            documents_enabled=settings.documents_enabled,
            url_context_enabled=settings.url_context_enabled,
        ),
        observer=observer,
        shop=shop,
    )


class NoImages:
    """Stands in when no image model is wired (embedding, unit tests): says so politely."""

    sizes: tuple[str, ...] = ()
    max_references = 0

    async def generate(
        self, prompt: str, *, size: str, aspect_ratio: str | None, references: list[ImagePart]
    ) -> GeneratedImage:
        raise ImageNotMade("no image model configured", reason="no_image")


class Failure:
    """A fault the process cannot carry on after (a revoked token): ``run`` ends with it."""

    def __init__(self) -> None:
        self.error: BaseException | None = None
        self.happened = asyncio.Event()

    def trip(self, error: BaseException) -> None:
        if self.error is None:
            self.error = error
        self.happened.set()


@dataclass(frozen=True)
class Components:
    """Everything one running bot is made of."""

    settings: Settings
    store: SqlStore
    inbox: SqlInbox
    bot: Bot
    dispatcher: Dispatcher
    pump: InboxPump
    poller: LongPoller | None  # long polling, or ...
    webhook: WebhookServer | None  # ... the webhook server
    webhook_secret: str | None
    public_url: PublicUrl | None
    metrics: Metrics
    limiter: RateLimiter
    assistant: Assistant
    dependencies: Dependencies
    failure: Failure
    genai_client: LazyClient | None
    stops: MemoryStopSignals
    gemini_streams: InteractionStreams | None = None
    videos: VideoStudio | None = None  # None: VIDEO_ENABLED=false (or no video model wired)


def flood_alarm(metrics: Metrics, alerter: Alerter) -> FloodHook:
    """Telegram told the bot to slow down: the operator should know (throttled)."""

    async def report(endpoint: str, chat_id: object, seconds: float) -> None:
        metrics.telegram_floods.labels(endpoint).inc()
        await alerter.report(
            "telegram:flood",
            f"Telegram flood control: {endpoint} must wait {seconds:.0f} s",
            ref=error_reference(),
            details=f"chat {chat_id}",
        )

    return report


async def open_components(settings: Settings, *, public_url: PublicUrl | None = None) -> Components:
    """Open the database (applying migrations) and the Gemini client, then build the rest."""
    store = await SqlStore.open(settings.database_url)
    client = LazyClient(settings)
    api_key = settings.google_api_key.get_secret_value() if settings.google_api_key else None
    streams = InteractionStreams(api_key=api_key, base_url=settings.gemini_base_url)
    retry = RetryPolicy(
        attempts=settings.gemini_retry_attempts, budget=settings.gemini_retry_budget
    )
    timeout = settings.gemini_timeout
    return build(
        settings,
        store=store,
        chat_model=GeminiChatModel(
            streams, model=settings.chat_model, timeout=timeout, retry=retry
        ),
        speech=GeminiSpeech(client, model=settings.tts_model, timeout=timeout, retry=retry),
        images=GeminiImages(
            client, model=settings.image_model, timeout=settings.image_timeout, retry=retry
        ),
        video=GeminiVideo(client, model=settings.video_model, api_key=api_key, retry=retry),
        genai_client=client,
        gemini_streams=streams,
        public_url=public_url,
    )


def build(
    settings: Settings,
    *,
    store: SqlStore,
    chat_model: ChatModel,
    speech: SpeechSynthesizer | None = None,
    images: ImageGenerator | None = None,
    video: VideoGenerator | None = None,
    genai_client: LazyClient | None = None,
    gemini_streams: InteractionStreams | None = None,
    public_url: PublicUrl | None = None,
) -> Components:
    metrics = Metrics()
    limiter: RateLimiter = MemoryRateLimiter()
    stops = MemoryStopSignals()
    if settings.redis_url:
        from telegemini.coordination.redis import RedisRateLimiter  # only when configured
        from telegemini.coordination.redis_stops import RedisStopSignals

        limiter = RedisRateLimiter.from_url(settings.redis_url)
        stops = RedisStopSignals.from_url(settings.redis_url)
    bot = make_bot(settings)
    failure = Failure()
    tasks: set[asyncio.Task[None]] = set()
    rich = RichMessages(enabled=settings.rich_messages)
    studio = None
    if video is not None and settings.video_enabled:
        studio = VideoStudio(
            video,
            PyAvVideoProbe(),
            SqlVideoJobs(store.engine),
            store,
            TelegramOutputs(bot, rich),
            VideoConfig(timeout=settings.video_timeout, poll_interval=settings.video_poll_interval),
        )

    def spawn(work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        tasks.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(tasks.discard)

    assistant = build_assistant(
        settings,
        store=store,
        bot=bot,
        limiter=limiter,
        spawn=spawn,
        chat_model=MeteredChatModel(chat_model, metrics, settings.chat_model),
        speech=MeteredSpeech(speech, metrics, settings.tts_model) if speech else None,
        images=MeteredImages(images, metrics, settings.image_model) if images else None,
        observer=metrics,
        stops=stops,
        video=studio,
        payments=SqlPayments(store.engine, store.forget_user),
    )
    bot.session.middleware(
        TelegramRateLimiter(
            overall_per_second=settings.telegram_global_rate,
            on_flood=flood_alarm(metrics, assistant.alerter),
        )
    )
    early = EarlyTyping(
        bot,
        admins=settings.admin_user_ids,
        allowed_users=settings.allowed_user_ids,
        allowed_chats=settings.allowed_chat_ids,
    )
    routes = build_routes(assistant, early, rich, stops)
    inbox = SqlInbox(store.engine)
    pump = InboxPump(
        inbox,
        feeder(routes, bot),
        capacity=settings.inbox_capacity,
        lease=settings.inbox_lease,
        metrics=metrics,
        early=early,
    )
    dependencies = Dependencies(inbox, limiter, metrics, assistant.alerter)
    poller = webhook = secret = None
    if settings.mode == "webhook":
        secret = (
            settings.telegram_secret_token.get_secret_value()
            if settings.telegram_secret_token
            else derived_secret(settings.token())
        )
        webhook = WebhookServer(
            pump,
            secret=secret,
            port=settings.port,
            metrics=metrics,
            readiness=dependencies.readiness,
        )
    else:
        poller = LongPoller(bot, pump.store, allowed_updates=ALLOWED_UPDATES, on_fatal=failure.trip)
    return Components(
        settings=settings,
        store=store,
        inbox=inbox,
        bot=bot,
        dispatcher=routes.dispatcher,
        pump=pump,
        poller=poller,
        webhook=webhook,
        webhook_secret=secret,
        public_url=public_url,
        metrics=metrics,
        limiter=limiter,
        assistant=assistant,
        dependencies=dependencies,
        failure=failure,
        genai_client=genai_client,
        stops=stops,
        gemini_streams=gemini_streams,
        videos=studio,
    )
