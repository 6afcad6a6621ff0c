"""Translate google-genai's two exception families (and transport errors) into ours.

The Interactions path raises ``google.genai._interactions.*`` (not subclasses of
``google.genai.errors.APIError``); the models/files path raises ``google.genai.errors.*`` and, on
timeouts or refused connections, raw transport errors. Everything leaves this module as a
``telegemini.errors.UserFacingError``. The SDK's classes are looked at only for an exception that
came from it (so a bot that has not needed the SDK yet never loads it: ~18 MB).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from telegemini.errors import (
    ConversationExpired,
    InputTooLarge,
    ModelMissing,
    ModelRefused,
    UpstreamBusy,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
    UserFacingError,
)

Model = tuple[str, str] | None  # (setting, model name) of the adapter, for ModelMissing
_SAFETY_WORDS = ("safety", "blocked", "prohibited", "recitation", "blocklist", "spii")


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    if not headers:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    if "retry-after-ms" in lowered:
        try:
            return max(0.0, float(lowered["retry-after-ms"]) / 1000)
        except ValueError:
            pass
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def looks_like_safety(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in _SAFETY_WORDS)


def from_status(
    status: int, message: str, headers: Mapping[str, str] | None, *, model: Model = None
) -> UserFacingError:
    """Our error for an HTTP status answered by the Gemini API. ``model`` is the setting and
    model of the adapter that called (a 404 naming the model is the operator's to fix)."""
    if status == 404 and _names_a_model(message, model):
        setting, name = model or ("", "")
        return ModelMissing(message, setting=setting, model=name)
    if status == 404:
        return ConversationExpired(message)
    if status in (408, 504):
        return UpstreamTimeout(message)
    if status == 429:
        return UpstreamBusy(message, retry_after=retry_after_seconds(headers))
    if status == 413:
        return InputTooLarge(message)
    if status == 400 and looks_like_safety(message):
        return ModelRefused(message)
    if status >= 500:
        return UpstreamUnavailable(message)
    # 400/401/403 and the rest: a bug or a bad key; the operator must look at the log.
    return UpstreamError(f"HTTP {status}: {message}")


def _names_a_model(message: str, model: Model) -> bool:
    """A 404 about the model ("models/<name> is not found …"), not about a stored interaction."""
    return "models/" in message.lower() or (
        model is not None and bool(model[1]) and model[1] in message
    )


def map_exception(exc: BaseException, *, model: Model = None) -> UserFacingError:
    """Our error for any exception the SDK or its transports raised; ``model`` as in
    ``from_status``."""
    if isinstance(exc, UserFacingError):
        return exc
    if isinstance(exc, TimeoutError):
        return UpstreamTimeout(type(exc).__name__)
    if type(exc).__module__.startswith(("google.", "httpx2")):
        mapped = _from_sdk(exc, model)
        if mapped is not None:
            return mapped
    if isinstance(exc, OSError):  # refused, reset, unreachable (aiohttp's are OSErrors too)
        return UpstreamUnavailable(type(exc).__name__)
    return UpstreamUnavailable(f"{type(exc).__name__}: {exc}")


def _from_sdk(exc: BaseException, model: Model) -> UserFacingError | None:
    import httpx2
    from google.genai import _interactions
    from google.genai import errors as genai_errors

    if isinstance(exc, _interactions.APITimeoutError | httpx2.TimeoutException):
        return UpstreamTimeout(type(exc).__name__)
    if isinstance(exc, _interactions.APIStatusError):
        headers: Mapping[str, str] | None = getattr(exc.response, "headers", None)
        message = body_message(exc.body) or str(exc)
        return from_status(exc.status_code or 500, message, headers, model=model)
    if isinstance(exc, genai_errors.APIError):
        response_headers = getattr(getattr(exc, "response", None), "headers", None)
        message = exc.message or exc.status or ""
        return from_status(exc.code or 500, message, response_headers, model=model)
    if isinstance(exc, _interactions.APIConnectionError | httpx2.TransportError):
        return UpstreamUnavailable(type(exc).__name__)
    return None


def body_message(body: Any) -> str:
    """The message of a parsed Gemini error body ("" when it has none)."""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return str(error.get("message") or error.get("status") or error.get("code") or "")
    return ""
