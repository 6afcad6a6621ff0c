"""A fake Telegram Bot API server for end-to-end tests and the local sandbox.

The real aiogram talks to it over HTTP. It keeps chats and messages, files and
updates, enforces Telegram's limits with Telegram's error strings (MarkdownV2/HTML parsing,
4096/1024 lengths, 64-byte callback data, 20 MB downloads, albums of 2-10 ...), delivers updates
by long polling or webhook, and records every call for assertions.

Bot API 10.x as aiogram 3.31 speaks it: rich messages (``sendRichMessage``, rich drafts and
edits, with Telegram's limits and a naive Markdown/HTML-to-blocks conversion), drafts with a
Stop button (``press_stop`` -> ``stopped_message_generation``) and ephemeral messages in groups.
Rich messages are off unless ``rich_messages=True`` (then ``rich_messages=False`` is a server
older than 10.1); ``ephemeral_messages=False`` is a server without ephemeral messages; see
``server``'s docstring.
"""

from .models import (
    ApiError,
    ChatAction,
    Draft,
    FakeChat,
    FakeEvent,
    FakeUser,
    RecordedCall,
    UploadedFile,
    WebhookAttempt,
)
from .server import FakeTelegramServer
from .webhook import SECRET_HEADER

__all__ = [
    "SECRET_HEADER",
    "ApiError",
    "ChatAction",
    "Draft",
    "FakeChat",
    "FakeEvent",
    "FakeTelegramServer",
    "FakeUser",
    "RecordedCall",
    "UploadedFile",
    "WebhookAttempt",
]
