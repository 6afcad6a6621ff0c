"""Error bodies in the two shapes the SDK reads.

- Interactions (`ai.google.dev/gemini-api/docs/api-errors`): `{"error": {"code":
  "rate_limit_exceeded", "message": …}}` with lower-case string codes. The SDK maps any
  non-2xx by HTTP status (`google.genai._interactions.RateLimitError`, …).
- Google (models and files paths): `{"error": {"code": 429, "message": …, "status":
  "RESOURCE_EXHAUSTED"}}`; the SDK raises `google.genai.errors.ClientError`/`ServerError`.
"""

from __future__ import annotations

from typing import Any, Literal

from aiohttp import web

ErrorStyle = Literal["google", "interactions"]

GOOGLE_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

INTERACTIONS_CODE = {
    400: "invalid_request",
    401: "authentication",
    403: "permission_denied",
    404: "not_found",
    409: "aborted",
    429: "rate_limit_exceeded",
    499: "cancelled",
    500: "api_error",
    501: "unimplemented",
    503: "service_unavailable",
    504: "deadline_exceeded",
}

DEFAULT_MESSAGES = {
    400: "Request contains an invalid argument.",
    403: "The caller does not have permission.",
    404: "Requested entity was not found.",
    429: "Resource has been exhausted (e.g. check quota).",
    500: "An internal error has occurred. Please retry or report in "
    "https://developers.generativeai.google/guide/troubleshooting",
    503: "The model is overloaded. Please try again later.",
    504: "Deadline expired before operation could complete.",
}

BAD_KEY_MESSAGE = "API key not valid. Please pass a valid API key."
NO_KEY_MESSAGE = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)


def interactions_code(status: int) -> str:
    """The Interactions error code for an HTTP status."""
    if status in INTERACTIONS_CODE:
        return INTERACTIONS_CODE[status]
    return "api_error" if status >= 500 else "invalid_request"


def error_body(status: int, message: str | None, style: ErrorStyle) -> dict[str, Any]:
    """The JSON error envelope for `status` in `style`."""
    text = message or DEFAULT_MESSAGES.get(status, "Error.")
    if style == "interactions":
        return {"error": {"code": interactions_code(status), "message": text}}
    google_status = GOOGLE_STATUS.get(status, "INTERNAL" if status >= 500 else "UNKNOWN")
    return {"error": {"code": status, "message": text, "status": google_status}}


def error_response(
    status: int,
    message: str | None = None,
    *,
    style: ErrorStyle,
    retry_after: float | None = None,
) -> web.Response:
    """An error answer; `retry-after` is sent in seconds (fractions allowed)."""
    headers = {"retry-after": format_seconds(retry_after)} if retry_after is not None else None
    return web.json_response(error_body(status, message, style), status=status, headers=headers)


def bad_key_response() -> web.Response:
    """What the real API answers for an invalid key, on every path."""
    body = error_body(400, BAD_KEY_MESSAGE, "google")
    body["error"]["details"] = [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
        }
    ]
    return web.json_response(body, status=400)


def format_seconds(value: float) -> str:
    """`1.0` → "1", `0.01` → "0.01"."""
    return f"{value:g}"
