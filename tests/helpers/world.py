"""The core assembled with recording fakes: everything a unit test of the assistant needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from telegemini.coordination.memory import MemoryRateLimiter
from telegemini.core.admin import AdminDesk
from telegemini.core.alerts import Alerter
from telegemini.core.assistant import Assistant, AssistantConfig
from telegemini.core.buttons import ButtonAction
from telegemini.core.captcha import CaptchaConfig, CaptchaDesk
from telegemini.core.chat import ChatConfig, ChatService
from telegemini.core.conversation import Conversation, ConversationConfig
from telegemini.core.documents import DocumentReader
from telegemini.core.guards import Guard, GuardConfig
from telegemini.core.images import ImageConfig, ImageService
from telegemini.core.models import (
    Alert,
    Attachment,
    ChatRef,
    ChatType,
    Command,
    IncomingCallback,
    IncomingMessage,
    Preferences,
    UserRef,
)
from telegemini.core.moderation import Blocklist
from telegemini.core.offers import Offer, PaymentRefused, ShopConfig
from telegemini.core.shop import Shop
from telegemini.core.voice import VoiceConfig, VoiceService
from telegemini.storage.memory import MemoryStore
from telegemini.storage.memory_payments import MemoryPayments
from tests.helpers.fakes import (
    FakeAudioCodec,
    FakeChatModel,
    FakeChatOutput,
    FakeFileSource,
    FakeImageCodec,
    FakeImageGenerator,
    FakeSpeech,
)

USER = UserRef(7, "Ada", "ada", "en")
PRIVATE = ChatRef(7, ChatType.PRIVATE)


@dataclass
class FakeMessenger:
    texts: list[tuple[int, str]] = field(default_factory=list)
    alerts: list[tuple[int, Alert]] = field(default_factory=list)
    unreachable: set[int] = field(default_factory=set)

    async def send_text(self, chat_id: int, text: str) -> bool:
        if chat_id in self.unreachable:
            return False
        self.texts.append((chat_id, text))
        return True

    async def send_alert(self, chat_id: int, alert: Alert) -> None:
        self.alerts.append((chat_id, alert))


@dataclass
class FakeCheckout:
    """Telegram's payment sheet, recorded: invoices offered, pre-checkout answers, refunds."""

    offers: list[tuple[int, Offer, str]] = field(default_factory=list)
    answers: list[tuple[str, str | None]] = field(default_factory=list)
    refunds: list[tuple[int, str]] = field(default_factory=list)
    cancelled: list[tuple[int, str]] = field(default_factory=list)
    refuse_refund: str | None = None

    async def offer(
        self, chat_id: int, offer: Offer, *, title: str, description: str, button: str
    ) -> None:
        self.offers.append((chat_id, offer, button))

    async def answer_pre_checkout(self, query_id: str, *, refusal: str | None) -> None:
        self.answers.append((query_id, refusal))

    async def refund(self, user_id: int, charge_id: str) -> None:
        if self.refuse_refund:
            raise PaymentRefused(self.refuse_refund)
        self.refunds.append((user_id, charge_id))

    async def cancel_subscription(self, user_id: int, charge_id: str) -> None:
        self.cancelled.append((user_id, charge_id))


class FakeCharts:
    async def daily_chart(self, data: Any, *, title: str) -> bytes:
        return b"\x89PNG fake chart " + title.encode()


class World:
    """``World(guard=GuardConfig(...), voice_default=True, ...)``; then ``await send(...)``."""

    def __init__(
        self,
        *,
        guard: GuardConfig | None = None,
        voice_default: bool = False,
        voice: VoiceConfig | None = None,
        images: ImageConfig | None = None,
        captcha: bool = False,
        blocklist: str = "",
        autoban: int = 0,
        clock: list[float] | None = None,
        documents_enabled: bool = True,
        url_context_enabled: bool = True,
        shop: ShopConfig | None = None,
    ) -> None:
        self.now = clock or [1_000_000.0]
        self.store = MemoryStore()
        self.payments = MemoryPayments(self.store)
        self.checkout = FakeCheckout()
        self.model = FakeChatModel()
        self.files = FakeFileSource()
        self.speech = FakeSpeech()
        self.generator = FakeImageGenerator()
        self.messenger = FakeMessenger()
        self.spawned: list[Any] = []
        self.limiter = MemoryRateLimiter()
        # No rate limits unless a test sets them: they would make unrelated tests time-dependent.
        guard = guard or GuardConfig(rates={})
        self.guard = Guard(
            self.store,
            self.limiter,
            guard,
            clock=lambda: self.now[0],
            payments=self.payments if shop is not None and shop.enabled else None,
        )
        self.shop = Shop(
            self.store,
            self.payments,
            self.guard,
            shop or ShopConfig(),
            checkout=self.checkout,
            messenger=self.messenger,
            clock=lambda: self.now[0],
        )
        self.voice = VoiceService(self.files, FakeAudioCodec(), self.speech, voice or VoiceConfig())
        self.images = ImageService(
            self.generator,
            FakeImageCodec(),
            self.files,
            self.store,
            images or ImageConfig(progress_interval=0.001),
            clock=lambda: self.now[0],
        )
        self.conversation = Conversation(
            ChatService(self.model, self.store, ChatConfig(draft_interval=0, first_draft_after=0)),
            self.store,
            self.voice,
            self.images,
            self.guard,
            Blocklist.parse(blocklist),
            ConversationConfig(autoban_after=autoban),
            documents=DocumentReader(self.files),
        )
        self.assistant = Assistant(
            store=self.store,
            guard=self.guard,
            conversation=self.conversation,
            captcha=CaptchaDesk(
                self.store, CaptchaConfig(enabled=captcha), clock=lambda: self.now[0]
            ),
            admin=AdminDesk(
                self.store, self.guard, FakeCharts(), self.messenger, self._spawn, shop=self.shop
            ),
            alerter=Alerter(self.messenger, sorted(guard.admins)),
            voices=self.voice.voices,
            config=AssistantConfig(
                voice_replies_default=voice_default,
                default_voice="Kore",
                documents_enabled=documents_enabled,
                url_context_enabled=url_context_enabled,
            ),
            shop=self.shop,
        )

    def _spawn(self, coroutine: Any) -> None:
        self.spawned.append(coroutine)

    async def run_spawned(self) -> None:
        while self.spawned:
            await self.spawned.pop(0)

    async def send(
        self,
        text: str = "",
        *,
        command: str | None = None,
        args: str = "",
        attachments: tuple[Attachment, ...] = (),
        user: UserRef = USER,
        chat: ChatRef | None = None,
        reply_to_user: UserRef | None = None,
    ) -> FakeChatOutput:
        out = FakeChatOutput()
        message = IncomingMessage(
            update_id=1,
            message_id=1,
            chat=chat or ChatRef(user.id, ChatType.PRIVATE),
            user=user,
            text=text if command is None else args,
            command=Command(command, args) if command else None,
            attachments=attachments,
            reply_to_user=reply_to_user,
        )
        await self.assistant.handle(message, out)
        return out

    async def press(
        self,
        action: ButtonAction,
        *,
        user: UserRef = USER,
        chat: ChatRef | None = None,
        message_id: int = 5,
    ) -> FakeChatOutput:
        out = FakeChatOutput()
        callback = IncomingCallback(
            1, "cb", chat or ChatRef(user.id, ChatType.PRIVATE), user, message_id, action
        )
        await self.assistant.handle_callback(callback, out)
        return out

    async def set_prefs(self, user: UserRef = USER, **values: Any) -> None:
        await self.store.save_preferences(user.id, user.id, Preferences(**values))
