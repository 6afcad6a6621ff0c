"""The interfaces the core needs from the outside world. Adapters implement them; tests use the
``Fake*`` implementations in ``tests/helpers``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import Protocol

from telegemini.core.models import (
    Activity,
    Alert,
    Attachment,
    Captcha,
    ChatEvent,
    ChatKey,
    ChatRequest,
    Conversation,
    DailySeries,
    GeneratedImage,
    ImageJob,
    ImagePart,
    LimitKey,
    OutgoingPhoto,
    OutgoingVideo,
    Preferences,
    Reply,
    Speech,
    Turn,
    UserRecord,
    UserRef,
    VoiceNote,
)
from telegemini.core.offers import (
    Credited,
    Offer,
    Payment,
    PaymentRecord,
    Refunded,
    SubscriptionState,
)


class ChatModel(Protocol):
    """A conversational model with server-side memory chained by interaction ids."""

    def stream(self, request: ChatRequest) -> AsyncGenerator[ChatEvent, None]:
        """Yield ``TextDelta``s then one ``ChatCompleted``. A caller that stops early closes it
        (``aclose``), which closes the request.

        Raises ``ConversationExpired`` when ``request.previous_id`` is unknown, and the other
        ``UserFacingError``s of ``telegemini.errors`` for refusals and upstream failures.
        """
        ...


class UserStore(Protocol):
    """Users and what the bot decided about them (tier, bans, access, notices)."""

    async def remember_user(self, user: UserRef, *, private: bool = False) -> UserRecord:
        """Create or refresh a user from their Telegram profile; ``private`` when they wrote
        in a private chat (which makes them reachable by a broadcast)."""
        ...

    async def load_user(self, user_id: int) -> UserRecord | None: ...

    async def find_user(self, username: str) -> UserRecord | None:
        """By @username (case-insensitive), among users the bot has seen."""
        ...

    async def save_user(self, record: UserRecord) -> None: ...

    async def broadcast_targets(self) -> list[int]: ...


class UsageStore(Protocol):
    """Daily quota counters (atomic) and activity counters for statistics."""

    async def consume_quota(
        self, user_id: int, day: str, kind: str, *, amount: int = 1, limit: int | None
    ) -> bool:
        """Add ``amount`` unless the day's usage would pass ``limit`` (None: unlimited)."""
        ...

    async def refund_quota(self, user_id: int, day: str, kind: str, *, amount: int = 1) -> None: ...

    async def quota_usage(self, user_id: int, day: str) -> dict[str, int]: ...

    async def mark_active(self, day: str, user_id: int) -> None:
        """Note that the user was active that day (counted once per day)."""
        ...

    async def count(self, day: str, user_id: int, kind: str, amount: int = 1) -> int:
        """Add to a daily activity counter; returns the day's new count."""
        ...

    async def activity_rows(self, first_day: str, last_day: str) -> list[tuple[str, int, str, int]]:
        """``(day, user_id, kind, count)`` rows between two days, inclusive: the activity
        counters and the quota usage (kinds messages, voice, images, hd_images)."""
        ...


class CaptchaStore(Protocol):
    async def load_captcha(self, user_id: int) -> Captcha | None: ...

    async def save_captcha(self, captcha: Captcha) -> None: ...

    async def delete_captcha(self, user_id: int) -> None: ...


class BroadcastStore(Protocol):
    """Broadcasts waiting for an admin's confirmation (shared by every instance)."""

    async def save_broadcast(self, token: str, text: str) -> None: ...

    async def take_broadcast(self, token: str) -> str | None:
        """The text of a pending broadcast, removed in the same step: of two instances (or two
        taps) only one gets it. None when unknown, taken, or older than a day."""
        ...


class Store(UserStore, UsageStore, CaptchaStore, BroadcastStore, Protocol):
    """Durable state: conversations, processed updates, preferences, image jobs, users,
    usage and captchas."""

    async def load_conversation(self, key: ChatKey) -> Conversation: ...

    async def load_head(self, key: ChatKey) -> str | None:
        """Just the head interaction id (the transcript is only needed to reseed a chain)."""
        ...

    async def save_exchange(
        self, key: ChatKey, *, head_id: str, user_text: str, model_text: str, keep_turns: int
    ) -> None:
        """Move the conversation head to ``head_id`` and append the exchange to the transcript,
        keeping the last ``keep_turns`` turns."""
        ...

    async def reset_conversation(self, key: ChatKey) -> None: ...

    async def load_preferences(self, chat_id: int, user_id: int) -> Preferences: ...

    async def save_image_job(self, job: ImageJob) -> None:
        """Insert or update (by id)."""
        ...

    async def load_image_job(self, job_id: str) -> ImageJob | None: ...

    async def find_image(self, job: ImageJob, *, since: float) -> ImageJob | None:
        """An earlier job with the same prompt, size, ratio and references whose photo was
        sent after ``since`` (epoch seconds), for reuse at no cost."""
        ...

    async def save_preferences(self, chat_id: int, user_id: int, prefs: Preferences) -> None: ...

    async def close(self) -> None: ...


class FileSource(Protocol):
    """Downloads what users sent."""

    async def fetch(self, attachment: Attachment) -> bytes: ...


class SpeechSynthesizer(Protocol):
    """Text to speech."""

    voices: tuple[str, ...]

    async def synthesize(self, text: str, *, voice: str, style: str | None = None) -> Speech:
        """``text`` is a verbatim transcript (vocal events as ``<laugh>``-style tags); ``style``
        the tone of voice for all of it (None: the voice's own)."""
        ...


class AudioCodec(Protocol):
    """Audio conversions (CPU-bound; implementations keep them off the event loop)."""

    async def duration(self, data: bytes) -> float:
        """Seconds of audio in ``data``; raises ``CorruptMedia`` if it cannot be decoded."""
        ...

    async def audio_track(self, video: bytes) -> bytes:
        """The audio of a video as OGG/Opus; raises ``CorruptMedia``."""
        ...

    async def voice_notes(self, speech: list[Speech], *, max_seconds: float) -> list[VoiceNote]:
        """Join speech pieces in order into voice notes of at most ``max_seconds`` each
        (pieces are never cut)."""
        ...


class ImageGenerator(Protocol):
    """Text (and reference images) to an image."""

    sizes: tuple[str, ...]
    max_references: int

    async def generate(
        self,
        prompt: str,
        *,
        size: str,
        aspect_ratio: str | None,
        references: list[ImagePart],
    ) -> GeneratedImage:
        """Raises ``ModelRefused`` / ``ImageNotMade`` when no image comes back."""
        ...


class ImageCodec(Protocol):
    """Image conversions (CPU-bound; implementations keep them off the event loop)."""

    async def to_photo(self, data: bytes) -> bytes:
        """A JPEG within Telegram's photo limits (10 MB, width + height <= 10000)."""
        ...


class RateLimiter(Protocol):
    """Token buckets per user and kind, shared by every instance when backed by Redis."""

    async def acquire(self, key: LimitKey, *, rate: float, burst: int) -> float:
        """Take one token (the bucket refills ``rate`` tokens a second up to ``burst``).
        Returns 0 when taken; otherwise the seconds until one is free (nothing taken)."""
        ...

    async def begin(self, key: LimitKey, *, ttl: float) -> bool:
        """Claim the single in-flight slot of ``key`` (freed by ``end`` or after ``ttl``
        seconds, should the holder die); False if it is taken."""
        ...

    async def end(self, key: LimitKey) -> None: ...

    async def close(self) -> None: ...


class Messenger(Protocol):
    """Messages the bot starts itself (alerts, broadcasts), outside any conversation."""

    async def send_text(self, chat_id: int, text: str) -> bool:
        """False when the chat cannot be reached (the user blocked the bot, the chat is gone)."""
        ...

    async def send_alert(self, chat_id: int, alert: Alert) -> None: ...


class ChartRenderer(Protocol):
    async def daily_chart(self, data: DailySeries, *, title: str) -> bytes:
        """A PNG line chart, one line per series."""
        ...


class Observer(Protocol):
    """Counts for monitoring (Prometheus in production; nothing in unit tests)."""

    def quota_denied(self, kind: str) -> None: ...

    def failed(self, error: str) -> None: ...


class NoObserver:
    def quota_denied(self, kind: str) -> None:
        return None

    def failed(self, error: str) -> None:
        return None


class StopFlag(asyncio.Event):
    """The event a stop sets, which also calls back as it is set: the answer being written is
    cancelled at once, with no task of its own waiting on the event."""

    def __init__(self) -> None:
        super().__init__()
        self._callbacks: list[Callable[[], object]] = []

    def set(self) -> None:
        if self.is_set():
            return
        super().set()
        for callback in self._callbacks:
            callback()

    def on_set(self, callback: Callable[[], object]) -> Callable[[], None]:
        """Call ``callback`` when the flag is set (at once if it is); the function returned
        forgets it."""
        if self.is_set():
            callback()
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback)


class StopSignals(Protocol):
    """Stop requests for the answer being written in a conversation (the Stop button under a
    streamed draft, or /stop), heard by whichever instance is writing it."""

    def watch(self, key: ChatKey, draft_id: int | None) -> AbstractContextManager[StopFlag]:
        """While the block runs, a stop for ``key`` sets the event (a stop naming another
        ``draft_id`` is for another answer and is ignored)."""
        ...

    async def request(self, key: ChatKey, draft_id: int | None = None) -> bool:
        """Ask the answer being written in ``key`` to stop. True when this process was writing
        it; with several instances the request also goes to the others."""
        ...


class ChatLocks(Protocol):
    """Mutual exclusion per conversation, so one chat's messages are handled in order."""

    def hold(self, key: ChatKey) -> AbstractAsyncContextManager[None]: ...


class ChatOutput(Protocol):
    """Where the core's answers go for one incoming message."""

    def activity(self, kind: Activity) -> AbstractAsyncContextManager[None]:
        """Show ``kind`` (typing…) for as long as the block runs."""
        ...

    @property
    def can_stream(self) -> bool:
        """Whether ``draft`` shows anything here (private chats only on Telegram)."""
        ...

    @property
    def draft_id(self) -> int | None:
        """The id the drafts of this answer carry (a Stop names it); None without drafts."""
        ...

    async def draft(self, text: str, *, thinking: str = "") -> None:
        """Show a partial answer (Markdown) while it is generated, with the model's thinking so
        far above it when there is some."""
        ...

    async def send(self, reply: Reply) -> None: ...

    async def send_voice(self, note: VoiceNote) -> None: ...

    async def send_status(self, text: str) -> int:
        """A short progress message; returns its id for ``edit``/``delete``."""
        ...

    async def delete(self, message_id: int) -> None: ...

    async def send_photo(self, photo: OutgoingPhoto) -> str:
        """Send a photo; returns the file id Telegram gave it."""
        ...

    async def send_document(self, data: bytes, *, filename: str, caption: str = "") -> None: ...

    async def send_album(self, photos: list[OutgoingPhoto]) -> list[str]:
        """2-10 photos as one album (albums carry no buttons); returns their file ids."""
        ...

    async def send_video(self, video: OutgoingVideo) -> None: ...

    async def edit(self, message_id: int, reply: Reply) -> None:
        """Replace the text and buttons of a message the bot sent."""
        ...

    async def answer_callback(self, text: str | None = None) -> None:
        """Acknowledge a button press (a no-op when not answering one)."""
        ...


class PaymentStore(Protocol):
    """Stars payments and what they bought: Premium's end (``UserRecord.premium_until``), image
    packs, the subscription's state. Crediting is exactly once per charge id, in one
    transaction, whatever the number of instances."""

    async def credit(self, payment: Payment, *, days: int) -> Credited | None:
        """Record ``payment`` and apply it (Premium extended by ``days`` from its end or now,
        or a pack's images added); None when its charge id was credited before."""
        ...

    async def set_subscription(self, user_id: int, state: SubscriptionState) -> float | None:
        """Note the subscription's state; returns Premium's end (None: never bought)."""
        ...

    async def pack_left(self, user_id: int) -> int: ...

    async def take_pack(self, user_id: int, amount: int) -> bool:
        """Take ``amount`` images out of the user's packs, or nothing if there are fewer."""
        ...

    async def return_pack(self, user_id: int, amount: int) -> None: ...

    async def payments_of(self, user_id: int) -> list[PaymentRecord]:
        """The user's payments, newest first."""
        ...

    async def refund(self, charge_id: str, *, days: int, now: float) -> Refunded | None:
        """Mark a payment refunded and take back what it bought (``days`` of Premium, not
        before ``now``; a pack's images, as many as are left); None when unknown or refunded."""
        ...

    async def payments_since(self, since: float) -> list[PaymentRecord]: ...

    async def active_subscriptions(self, now: float) -> int: ...

    async def take_ended(self, now: float, *, grace: float) -> list[int]:
        """Users whose Premium ended (``grace`` seconds ago when it may still renew) and who
        were not told yet; each is returned to one caller only."""
        ...


class Checkout(Protocol):
    """Telegram's payment sheet: invoices, the pre-checkout answer, refunds."""

    async def offer(
        self, chat_id: int, offer: Offer, *, title: str, description: str, button: str
    ) -> None:
        """Show the invoice: a subscription as a link to Telegram's sheet, a pack in the chat."""
        ...

    async def answer_pre_checkout(self, query_id: str, *, refusal: str | None) -> None:
        """Go ahead (``refusal`` None) or refuse with that text."""
        ...

    async def refund(self, user_id: int, charge_id: str) -> None:
        """Give the Stars back; raises ``PaymentRefused`` with Telegram's reason."""
        ...

    async def cancel_subscription(self, user_id: int, charge_id: str) -> None: ...


__all__ = [
    "AudioCodec",
    "ChartRenderer",
    "ChatLocks",
    "ChatModel",
    "ChatOutput",
    "Checkout",
    "FileSource",
    "ImageCodec",
    "ImageGenerator",
    "Messenger",
    "PaymentStore",
    "RateLimiter",
    "SpeechSynthesizer",
    "Store",
    "Turn",
]
