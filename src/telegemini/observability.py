"""Logging set-up: text or JSON lines, and no secret in any line.

The bot token is part of every Bot API URL, so HTTP client loggers would print it; they are
raised to WARNING, and every formatted line (tracebacks included) passes through a redactor.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Literal

# Loggers that print request URLs at INFO (and so the bot token).
# aiogram.event logs a line per update handled; our own update metrics and logs say more.
_NOISY = ("httpx", "httpx2", "httpcore", "httpcore2", "aiohttp.access", "aiogram.event")
# Anything shaped like a bot token, even one we were not told about.
_TOKEN_SHAPE = re.compile(r"(?<![0-9])[0-9]{6,12}:[A-Za-z0-9_-]{30,}")


# The update being handled, for every log line written meanwhile (contextvars follow tasks).
update_id_var: ContextVar[int | None] = ContextVar("update_id", default=None)
chat_id_var: ContextVar[int | None] = ContextVar("chat_id", default=None)


@contextmanager
def update_context(update_id: int | None, chat_id: int | None) -> Iterator[None]:
    tokens = (update_id_var.set(update_id), chat_id_var.set(chat_id))
    try:
        yield
    finally:
        update_id_var.reset(tokens[0])
        chat_id_var.reset(tokens[1])


class UpdateContextFilter(logging.Filter):
    """Puts ``update_id`` and ``chat_id`` on every record (None outside an update)."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = record.__dict__
        update_id = fields.setdefault("update_id", update_id_var.get())
        chat_id = fields.setdefault("chat_id", chat_id_var.get())
        fields["context"] = f" [update {update_id} chat {chat_id}]" if update_id is not None else ""
        return True


class Redactor:
    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[REDACTED]")
        return _TOKEN_SHAPE.sub("[REDACTED]", text)


class RedactingFormatter(logging.Formatter):
    def __init__(self, redactor: Redactor, fmt: str | None = None) -> None:
        super().__init__(fmt)
        self._redact = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(super().format(record))


class JsonFormatter(RedactingFormatter):
    """One JSON object per line; ``extra`` fields such as ``update_id`` and ``chat_id`` are kept."""

    _STANDARD = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        record.__dict__.pop("context", None)  # the text formatter's rendering of the ids
        payload: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        payload.update({k: v for k, v in vars(record).items() if k not in self._STANDARD})
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return self._redact(json.dumps(payload, ensure_ascii=False, default=str))


def configure_logging(
    *, level: str = "INFO", fmt: Literal["text", "json"] = "text", secrets: Iterable[str] = ()
) -> None:
    redactor = Redactor(secrets)
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter(redactor))
    else:
        handler.setFormatter(
            RedactingFormatter(
                redactor, "%(asctime)s %(levelname)-7s %(name)s%(context)s: %(message)s"
            )
        )
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    handler.addFilter(UpdateContextFilter())
    root.addHandler(handler)
    root.setLevel(level)
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
