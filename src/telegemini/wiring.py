"""Building the core services from the settings and the adapters (no lifecycle here)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from telegram import Bot

from telegemini.core.admin import AdminDesk
from telegemini.core.alerts import Alerter
from telegemini.core.assistant import Assistant, AssistantConfig
from telegemini.core.captcha import CaptchaConfig, CaptchaDesk
from telegemini.core.chat import DEFAULT_SYSTEM_INSTRUCTION, ChatConfig, ChatService
from telegemini.core.conversation import Conversation, ConversationConfig
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
from telegemini.core.ports import (
    ChatModel,
    ImageGenerator,
    Observer,
    RateLimiter,
    SpeechSynthesizer,
    Store,
)
from telegemini.core.voice import VoiceConfig, VoiceService
from telegemini.errors import ImageNotMade
from telegemini.media.charts import MatplotlibCharts
from telegemini.media.codec import PyAvAudioCodec
from telegemini.media.images import PillowImageCodec
from telegemini.settings import Settings
from telegemini.tg.files import TelegramFiles
from telegemini.tg.messenger import TelegramMessenger

Spawn = Callable[[Awaitable[None]], object]


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
) -> Assistant:
    files = TelegramFiles(bot)
    messenger = TelegramMessenger(bot)
    guard = Guard(store, limiter, guard_config(settings), observer=observer)
    chat = ChatService(
        chat_model,
        store,
        ChatConfig(
            system_instruction=settings.system_prompt or DEFAULT_SYSTEM_INSTRUCTION,
            keep_turns=settings.history_turns,
            stream=settings.stream_replies,
        ),
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
    )
    alert_targets = [settings.alert_chat_id] if settings.alert_chat_id else settings.admin_user_ids
    return Assistant(
        store=store,
        guard=guard,
        conversation=conversation,
        captcha=CaptchaDesk(store, CaptchaConfig(enabled=settings.captcha_enabled)),
        admin=AdminDesk(store, guard, MatplotlibCharts(), messenger, spawn),
        alerter=Alerter(messenger, alert_targets),
        voices=voice.voices,
        config=AssistantConfig(
            voice_replies_default=settings.voice_enabled,
            default_voice=settings.tts_voice,
            search_enabled=settings.google_search_enabled,
        ),
        observer=observer,
    )


class NoImages:
    """Stands in when no image model is wired (embedding, unit tests): says so politely."""

    sizes: tuple[str, ...] = ()
    max_references = 0

    async def generate(
        self, prompt: str, *, size: str, aspect_ratio: str | None, references: list[ImagePart]
    ) -> GeneratedImage:
        raise ImageNotMade("no image model configured", reason="no_image")
