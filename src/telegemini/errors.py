"""One exception tree for the whole bot.

SDK and driver exceptions never travel past the adapter that met them: ``gemini/errors.py`` and
``tg/`` translate them into these classes (``raise Mapped(...) from exc``), so the core and the
error handler only ever see ours. What a user reads comes from the message catalog, looked up by
``message_key`` in the user's language, never from ``str(exception)``.

    TelegeminiError
    ├── ConfigError                  invalid configuration; the process refuses to start
    │   └── TokenRejected            Telegram answered 401: the bot token is wrong or revoked
    ├── StorageError                 the database failed
    ├── ChatUnreachable              Telegram will not deliver to the chat (the user blocked the
    │                                bot, the bot left the group): nothing to tell, nothing to alert
    ├── DeliveryUncertain            a send whose answer was lost: the message may have arrived,
    │                                so no error message follows it
    └── UserFacingError              something the user is told about, in their language
        ├── EmptyPrompt              nothing to send to the model
        ├── InputTooLarge            a file over the size limit
        ├── InputTooLong             audio or video over the duration limit
        ├── CorruptMedia             a file that cannot be decoded (or is empty)
        ├── DownloadFailed           Telegram would not hand over a file (after one retry)
        ├── UnsupportedMedia         a kind of message we cannot handle
        │   └── UnsupportedDocument  a file that is neither a PDF nor text (an archive, a program)
        ├── ReadingOff               files are not read here (the operator, or the user's setting)
        ├── ModelRefused             the model's safety system blocked the request or answer
        ├── ImageNotMade             the image model answered without an image (``reason``)
        ├── VideoNotMade             the video model made no clip (``reason``: safety, timeout, …)
        ├── TooManyReferences        more reference images than the image model takes
        ├── ConversationExpired      the model forgot the conversation (404 on the previous id);
        │                            the chat service recovers from it, users never see it
        └── UpstreamError            the model service failed
            ├── ModelMissing         404 for the model itself (a retired or mistyped name):
            │                        the operator must change ``setting``
            ├── UpstreamBusy         429 / overloaded; carries ``retry_after`` seconds
            ├── UpstreamTimeout      no answer in time
            └── UpstreamUnavailable  5xx, connection refused, malformed answer
"""

from __future__ import annotations

from telegemini.core.i18n import Duration


class TelegeminiError(Exception):
    """Root of every error raised on purpose by telegemini."""


class ConfigError(TelegeminiError):
    """The configuration is invalid; ``problems`` lists every issue with its fix."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))
        self.problems = problems


class TokenRejected(ConfigError):
    """Telegram refused the bot token (401), at start-up or while running: nothing to retry."""

    def __init__(self) -> None:
        super().__init__(
            [
                "TELEGRAM_BOT_TOKEN was rejected by Telegram (401): the token is wrong or was "
                "revoked. Get the current one from @BotFather (/mybots → your bot → API Token)."
            ]
        )


class ChatUnreachable(TelegeminiError):
    """The chat cannot be written to ("Forbidden: bot was blocked by the user", kicked from a
    group, a deactivated user). A normal event, not a fault."""


class DeliveryUncertain(TelegeminiError):
    """A send went out but its answer never came back (a dropped connection, a timeout): the
    user may well have the message. Neither retried (it would show twice) nor apologised for."""


class StorageError(TelegeminiError):
    """The database could not be read or written."""


class UserFacingError(TelegeminiError):
    """An error the user is told about. ``message_key`` names the catalog entry."""

    message_key = "error.generic"

    def message_args(self) -> dict[str, object]:
        """Values interpolated into the catalog message."""
        return {}


class EmptyPrompt(UserFacingError):
    message_key = "error.empty_prompt"


class InputTooLarge(UserFacingError):
    message_key = "error.too_large"

    def __init__(self, detail: str = "", *, limit_mb: float | None = None) -> None:
        super().__init__(detail)
        self.limit_mb = limit_mb

    def message_args(self) -> dict[str, object]:
        return {"limit": f"{self.limit_mb:g}" if self.limit_mb is not None else "?"}


class InputTooLong(UserFacingError):
    message_key = "error.too_long"

    def __init__(self, detail: str = "", *, limit_seconds: float) -> None:
        super().__init__(detail)
        self.limit_seconds = limit_seconds

    def message_args(self) -> dict[str, object]:
        return {"duration": Duration(self.limit_seconds)}


class CorruptMedia(UserFacingError):
    message_key = "error.corrupt"


class DownloadFailed(UserFacingError):
    message_key = "error.download"


class UnsupportedMedia(UserFacingError):
    message_key = "error.unsupported"


class UnsupportedDocument(UnsupportedMedia):
    """A document the model cannot read (refused before it is downloaded)."""

    message_key = "document.unsupported"

    def __init__(self, detail: str = "", *, name: str) -> None:
        super().__init__(detail)
        self.name = name

    def message_args(self) -> dict[str, object]:
        return {"name": self.name}


class ReadingOff(UserFacingError):
    """A document arrived where files are not read: ``by_user`` in their /settings, else by the
    operator (DOCUMENTS_ENABLED=false)."""

    def __init__(self, detail: str = "", *, by_user: bool) -> None:
        super().__init__(detail)
        self.message_key = "document.off" if by_user else "document.disabled"


class ModelRefused(UserFacingError):
    message_key = "error.refused"


class ImageNotMade(UserFacingError):
    """No image came back. ``reason``: "safety", "no_image" or "text_only"."""

    message_key = "image.not_made"

    def __init__(self, detail: str = "", *, reason: str = "no_image", text: str = "") -> None:
        super().__init__(detail)
        self.reason = reason
        self.text = text  # what the model said instead, if anything
        self.message_key = f"image.not_made_{reason}"

    def message_args(self) -> dict[str, object]:
        text = self.text if len(self.text) <= 500 else self.text[:499] + "…"
        return {"text": text}


class VideoNotMade(UserFacingError):
    """No clip came back. ``reason``: "safety" (blocked or refused), "failed", "timeout",
    "too_large" (over Telegram's 50 MB) or "lost" (the job was cut off before it started)."""

    def __init__(self, detail: str = "", *, reason: str = "failed") -> None:
        super().__init__(detail)
        self.reason = reason
        self.message_key = f"video.not_made_{reason}"


class TooManyReferences(UserFacingError):
    message_key = "image.too_many_references"

    def __init__(self, detail: str = "", *, limit: int) -> None:
        super().__init__(detail)
        self.limit = limit

    def message_args(self) -> dict[str, object]:
        return {"limit": self.limit}


class ConversationExpired(UserFacingError):
    """The previous interaction id is unknown to the model service (expired, or another key)."""

    message_key = "error.generic"


class UpstreamError(UserFacingError):
    message_key = "error.upstream"


class ModelMissing(UpstreamError):
    """The configured model does not exist (any more) for this key: only the operator can fix it,
    by changing ``setting`` (CHAT_MODEL, TTS_MODEL or IMAGE_MODEL)."""

    message_key = "error.misconfigured"

    def __init__(self, message: str, *, setting: str = "", model: str = "") -> None:
        where = f"{setting}={model}" if setting else "the configured model"
        super().__init__(
            f"{where} does not exist for this API key ({message}); set {setting or 'it'} to a "
            "current model and restart (`telegemini doctor` lists what is wrong)"
        )
        self.setting = setting
        self.model = model


class UpstreamBusy(UpstreamError):
    message_key = "error.busy"

    def __init__(self, detail: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after

    def message_args(self) -> dict[str, object]:
        seconds = max(1, round(self.retry_after)) if self.retry_after else 30
        return {"duration": Duration(seconds)}


class UpstreamTimeout(UpstreamError):
    message_key = "error.timeout"


class UpstreamUnavailable(UpstreamError):
    message_key = "error.upstream"
