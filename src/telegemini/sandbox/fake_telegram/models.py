"""Value types of the fake Bot API: the people and chats of a scenario, recorded calls, errors.

Everything here is plain data. The JSON shapes (``to_api``) are the Bot API's, so they can be
embedded in updates and results as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user who talks to the bot."""

    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = "en"
    is_bot: bool = False

    def to_api(self) -> dict[str, Any]:
        """The Bot API ``User`` object."""
        user: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def private_chat(self) -> dict[str, Any]:
        """The Bot API ``Chat`` object of this user's private chat with the bot."""
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.username:
            chat["username"] = self.username
        return chat


@dataclass(frozen=True)
class FakeChat:
    """A group or supergroup (or, rarely needed, an explicit private chat)."""

    id: int
    type: str  # "private" | "group" | "supergroup"
    title: str | None = None
    is_forum: bool = False

    def to_api(self) -> dict[str, Any]:
        """The Bot API ``Chat`` object."""
        chat: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.title is not None:
            chat["title"] = self.title
        if self.is_forum:
            chat["is_forum"] = True
        return chat


class UploadedFile(NamedTuple):
    """One file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class RecordedCall:
    """One Bot API request the bot made, with the fake's answer.

    ``params`` holds the fields as sent: form values stay strings (``chat_id`` is ``"42"`` when
    aiogram sent it), JSON-typed fields (``reply_markup``, ``entities``, ``media`` ...) are decoded.
    """

    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile]
    status: int
    result: Any
    at: float

    @property
    def ok(self) -> bool:
        """Whether the fake answered with a 2xx status."""
        return 200 <= self.status < 300

    @property
    def chat_id(self) -> int | None:
        """``params["chat_id"]`` as an int, or None when absent or not numeric."""
        return as_int(self.params.get("chat_id"))

    def upload(self, param: str) -> UploadedFile:
        """The file uploaded for ``param``: a part of that name, or the part its
        ``attach://<name>`` value names (how aiogram sends every upload)."""
        value = self.params.get(param)
        if isinstance(value, str) and value.startswith("attach://"):
            return self.files[value.removeprefix("attach://")]
        return self.files[param]

    @property
    def description(self) -> str | None:
        """The error description when the call failed."""
        return None if self.ok else str(self.result)


@dataclass(frozen=True)
class FakeEvent:
    """Something observable happened: a call, a message added/edited/deleted, a chat action ...

    ``kind`` is one of ``call``, ``update``, ``message``, ``edit``, ``delete``, ``chat_action``,
    ``draft``, ``stop`` (the user pressed a draft's Stop button; the payload is the Draft),
    ``ephemeral``, ``ephemeral_edit``, ``ephemeral_delete`` (ephemeral messages in groups; the
    payload is the message, or ``{"ephemeral_message_id", "receiver_user_id"}`` for a deletion),
    ``reaction``, ``callback_answer``, ``webhook``.
    """

    kind: str
    chat_id: int | None
    payload: Any


@dataclass
class Fault:
    """A scheduled failure of the next calls of one method (see ``fail_next``)."""

    method: str  # lower case
    status: int
    description: str
    parameters: dict[str, Any] | None
    remaining: int
    chat_id: int | None = None


@dataclass
class WebhookAttempt:
    """One POST of an update to the webhook; ``status`` is None when the connection failed."""

    update_id: int
    url: str
    status: int | None
    error: str | None
    at: float


class ApiError(Exception):
    """A Bot API error: the HTTP status equals ``error_code``, as aiogram reads the status."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    @classmethod
    def bad_request(cls, message: str) -> ApiError:
        """A 400 with Telegram's ``Bad Request:`` prefix."""
        return cls(400, f"Bad Request: {message}")

    def envelope(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def as_int(value: Any) -> int | None:
    """An int from an int or a decimal string; None otherwise (bools are not ints here)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


@dataclass
class ChatAction:
    """A ``sendChatAction`` the bot made."""

    chat_id: int
    action: str
    at: float
    message_thread_id: int | None = None


@dataclass
class Draft:
    """The latest ``sendMessageDraft`` / ``sendRichMessageDraft`` for one (chat, draft_id).

    ``text`` is the draft's text; for a rich draft it is a plain-text flattening of the blocks
    (what the sandbox page shows) and ``rich`` is the ``InputRichMessage`` as the bot sent it.
    ``can_stop``/``keep_on_stop`` are the latest call's flags. ``stopped`` is set by
    ``press_stop``; drafts sent for a stopped draft_id afterwards are answered ``true`` but not
    shown (the user pressed Stop): they only count in ``after_stop``. ``gone`` is set when the
    bot sent a message into the chat (same topic) after the draft: clients remove the draft then,
    so its Stop button can no longer be pressed.
    """

    chat_id: int
    draft_id: int
    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)
    message_thread_id: int | None = None
    updates: int = 1
    at: float = 0.0
    rich: dict[str, Any] | None = None
    can_stop: bool = False
    keep_on_stop: bool = False
    stopped: bool = False
    after_stop: int = 0
    gone: bool = False
