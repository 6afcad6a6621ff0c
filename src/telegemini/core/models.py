"""Value types the core speaks. Adapters translate to and from these; nothing here knows Telegram
or Gemini."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from telegemini.core.buttons import ButtonAction


@dataclass(frozen=True, slots=True)
class ChatKey:
    """One conversation: a chat, or one forum topic of a chat."""

    chat_id: int
    thread_id: int | None = None


@dataclass(frozen=True, slots=True)
class UserRef:
    id: int
    first_name: str = ""
    username: str | None = None
    language_code: str | None = None


class Tier(StrEnum):
    FREE = "free"
    PREMIUM = "premium"
    UNLIMITED = "unlimited"


QUOTA_KINDS = ("messages", "voice", "images", "hd_images", "videos")


@dataclass(frozen=True, slots=True)
class UserRecord:
    """What the bot keeps about a user, beyond their Telegram profile."""

    id: int
    first_name: str = ""
    username: str | None = None
    language_code: str | None = None
    tier: Tier = Tier.FREE
    banned: bool = False
    allowed: bool = False  # let in by an admin's /allow, on top of ALLOWED_USER_IDS
    verified: bool = False  # passed the captcha
    private_chat: bool = False  # has written to the bot privately (a broadcast target)
    blocked_bot: bool = False  # Telegram said the user blocked the bot
    notices: frozenset[str] = frozenset()  # one-time notices already sent: "denied", "banned"
    tier_pinned: bool = False  # set by an admin's /tier: wins over purchases until reset
    premium_until: float | None = None  # bought Premium lasts until then (epoch seconds)


@dataclass(frozen=True, slots=True)
class Captcha:
    """A pending "tap the right picture" check of a new user."""

    user_id: int
    answer: str
    expires_at: float  # epoch seconds
    failures: int = 0
    cooldown_until: float = 0.0
    pending_text: str = ""  # the first message, answered once the user passes


class ChatType(StrEnum):
    PRIVATE = "private"
    GROUP = "group"
    SUPERGROUP = "supergroup"
    CHANNEL = "channel"


@dataclass(frozen=True, slots=True)
class ChatRef:
    id: int
    type: ChatType
    title: str | None = None

    @property
    def is_private(self) -> bool:
        return self.type is ChatType.PRIVATE


@dataclass(frozen=True, slots=True)
class TextPart:
    text: str


@dataclass(frozen=True, slots=True)
class AudioPart:
    data: bytes
    mime_type: str


@dataclass(frozen=True, slots=True)
class ImagePart:
    data: bytes
    mime_type: str


@dataclass(frozen=True, slots=True)
class DocumentPart:
    """A file the user sent for the model to read: a PDF (``application/pdf``), or a text or code
    file already decoded and re-encoded as UTF-8 (``text/plain``). ``name`` as the user sent it."""

    data: bytes
    mime_type: str
    name: str


Part = TextPart | AudioPart | ImagePart | DocumentPart


class AttachmentKind(StrEnum):
    VOICE = "voice"
    AUDIO = "audio"
    VIDEO_NOTE = "video_note"
    PHOTO = "photo"
    DOCUMENT = "document"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file the user sent, not yet downloaded: limits are checked before any download."""

    kind: AttachmentKind
    file_id: str
    size: int | None = None
    duration: float | None = None  # seconds, for audio and video
    mime_type: str | None = None
    file_name: str | None = None
    from_reply: bool = False  # taken from the message the user replied to


@dataclass(frozen=True, slots=True)
class Command:
    """A bot command: ``/name args`` (the ``@botname`` suffix already checked and removed)."""

    name: str
    args: str = ""


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """One message addressed to the bot, already filtered by the adapter's group rules."""

    update_id: int
    message_id: int
    chat: ChatRef
    user: UserRef
    thread_id: int | None = None
    text: str = ""
    command: Command | None = None
    parts: tuple[Part, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    unsupported: bool = False  # a kind of message the bot cannot handle (yet)
    reply_to_user: UserRef | None = None  # author of the message this one replies to

    @property
    def key(self) -> ChatKey:
        return ChatKey(self.chat.id, self.thread_id)


@dataclass(frozen=True, slots=True)
class IncomingCallback:
    """A press on one of the bot's inline buttons."""

    update_id: int
    callback_id: str
    chat: ChatRef
    user: UserRef
    message_id: int
    action: ButtonAction
    thread_id: int | None = None

    @property
    def key(self) -> ChatKey:
        return ChatKey(self.chat.id, self.thread_id)


@dataclass(frozen=True, slots=True)
class LimitKey:
    """One user's bucket (or in-flight slot) for one kind of request."""

    user_id: int
    kind: str  # "messages" | "voice" | "images" | "hd_images" | "videos"


class Mode(StrEnum):
    ASSISTANT = "assistant"
    TRANSCRIPTION = "transcription"
    TRANSLATION = "translation"
    IMAGE = "image"


ASPECT_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")


@dataclass(frozen=True, slots=True)
class ImageJob:
    """One image request, kept so its buttons (variant, HD, ratio) can repeat it later and an
    identical request can reuse the photo already sent."""

    id: str
    chat_id: int
    user_id: int
    prompt: str
    size: str  # "1K" | "2K" | "4K"
    aspect_ratio: str | None = None
    reference_ids: tuple[str, ...] = ()  # Telegram file ids of the reference photos
    photo_file_id: str | None = None
    created_at: float = 0.0  # seconds since the epoch


@dataclass(frozen=True, slots=True)
class GeneratedImage:
    data: bytes
    mime_type: str
    text: str = ""  # what the model said alongside the picture


@dataclass(frozen=True, slots=True)
class OutgoingPhoto:
    """A photo to send: new bytes, or a file id Telegram already has."""

    data: bytes | None = None
    file_id: str | None = None
    caption: str = ""
    buttons: tuple[tuple[Button, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class OutgoingVideo:
    """An MP4 to send as a video (the player keeps ``width``:``height``)."""

    data: bytes
    width: int
    height: int
    duration: float
    caption: str = ""


@dataclass(frozen=True, slots=True)
class Preferences:
    """One user's settings in one chat. ``None`` means "the operator's default"."""

    mode: Mode = Mode.ASSISTANT
    voice_replies: bool | None = None
    voice: str | None = None
    target_language: str | None = None
    ui_language: str | None = None
    expressive: bool = False
    search: bool | None = None  # None: the operator's GOOGLE_SEARCH_ENABLED
    show_thinking: bool = False  # the model's thought summaries above its answers
    reading: bool | None = None  # files and links read; None: DOCUMENTS_/URL_CONTEXT_ENABLED


@dataclass(frozen=True, slots=True)
class VoiceNote:
    """Encoded speech ready to send (OGG/Opus, mono)."""

    data: bytes
    duration: float


@dataclass(frozen=True, slots=True)
class Speech:
    """What a speech model returned: PCM, WAV or OGG, as labelled by ``mime_type``."""

    data: bytes
    mime_type: str
    sample_rate: int | None = None


@dataclass(frozen=True, slots=True)
class Turn:
    """One side of an exchange in the local transcript (text only)."""

    role: Literal["user", "model"]
    text: str


@dataclass(frozen=True, slots=True)
class Conversation:
    """What is stored for a conversation: the model's head interaction and a bounded transcript."""

    key: ChatKey
    head_id: str | None = None
    transcript: tuple[Turn, ...] = ()


class Activity(StrEnum):
    """What the chat shows while the bot works."""

    TYPING = "typing"
    RECORDING_VOICE = "record_voice"
    UPLOADING_VOICE = "upload_voice"
    UPLOADING_PHOTO = "upload_photo"
    RECORDING_VIDEO = "record_video"


@dataclass(frozen=True, slots=True)
class Reply:
    """A message the bot sends. ``text`` is Markdown; the adapter renders it for the platform."""

    text: str
    markdown: bool = True
    buttons: tuple[tuple[Button, ...], ...] = ()
    # For the one person concerned only (a refusal, a quota notice): in a group it is shown to
    # them alone where the platform can (Telegram's ephemeral messages), else as a reply.
    private: bool = False
    # The model's thought summaries, shown collapsed above the answer where the platform can
    # (never spoken, never stored), under the heading ``thinking_label``.
    thinking: str = ""
    thinking_label: str = ""


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    action: ButtonAction


@dataclass(slots=True)
class Budget:
    """What one user request may spend on the model, shared by every call made for it (a retry,
    the fallback without web search): ``attempts`` left in all, and a ``deadline`` on the
    ``time.monotonic()`` clock after which the user is told instead of kept waiting."""

    attempts: int
    deadline: float

    @classmethod
    def starting_now(cls, *, attempts: int, seconds: float) -> Budget:
        return cls(attempts, time.monotonic() + seconds)

    def left(self) -> float:
        """Seconds until the deadline (negative once it has passed)."""
        return self.deadline - time.monotonic()


@dataclass(slots=True)
class ChatRequest:
    """One turn sent to the chat model."""

    parts: list[Part]
    system_instruction: str
    previous_id: str | None = None
    history: list[Turn] = field(default_factory=list)  # seeds a new chain when previous_id is None
    store: bool = True  # False: a one-off call that leaves no conversation behind
    tools: list[ToolSpec] = field(default_factory=list)
    search: bool = False  # let the model search the web (Google Search grounding)
    url_context: bool = False  # let the model read the web pages named in the message
    tool_results: list[ToolResult] = field(default_factory=list)  # answers to the last calls
    budget: Budget | None = None  # None: the model's own attempts and timeout
    thinking: bool = False  # ask for the model's thought summaries


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A function the chat model may call (JSON Schema parameters)."""

    name: str
    description: str
    parameters: dict[str, object]


@dataclass(frozen=True, slots=True)
class ToolCall:
    call_id: str
    name: str
    arguments: dict[str, object]


@dataclass(frozen=True, slots=True)
class ToolResult:
    call_id: str
    name: str
    result: str


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the answer as it is generated."""

    text: str


@dataclass(frozen=True, slots=True)
class Source:
    """A web page an answer was grounded on."""

    url: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class Searching:
    """The model started a web search (the chat can say so)."""


@dataclass(frozen=True, slots=True)
class Thinking:
    """A piece of the model's thought summary (asked for with ``ChatRequest.thinking``)."""

    text: str


@dataclass(frozen=True, slots=True)
class Started:
    """The model opened the interaction the answer is written in (an answer stopped half-way
    is remembered under it)."""

    interaction_id: str


@dataclass(frozen=True, slots=True)
class ChatCompleted:
    """The end of an answer: the new head interaction, the whole text, the sources it cited
    (in citation order, possibly repeated), and the web pages it read (URL context, in order)."""

    interaction_id: str
    text: str
    sources: tuple[Source, ...] = ()
    pages: tuple[Source, ...] = ()


ChatEvent = TextDelta | ToolCall | Searching | Started | Thinking | ChatCompleted


@dataclass(frozen=True, slots=True)
class Alert:
    """A message for the operator: what broke, the reference users saw, the details."""

    title: str
    ref: str
    details: str = ""
    suppressed: int = 0  # similar alerts not sent since the last one


@dataclass(frozen=True, slots=True)
class DailySeries:
    """Counts per day (oldest first) for a chart."""

    days: tuple[str, ...]
    series: dict[str, tuple[int, ...]]
