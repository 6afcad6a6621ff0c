"""One google-genai client per process, configured so that we, not the SDK, own retries."""

from __future__ import annotations

from google import genai
from google.genai import types

from telegemini.settings import Settings


def make_client(settings: Settings) -> genai.Client:
    """The process's Gemini client. Keep a reference: ``Client.__del__`` closes its transport.

    The SDK's own Interactions retries follow an uncapped ``Retry-After`` and it has no timeout
    by default; we switch both off here and apply ``RetryPolicy`` and per-call timeouts instead.
    """
    api_key = settings.google_api_key.get_secret_value() if settings.google_api_key else None
    options = types.HttpOptions(
        timeout=int(settings.gemini_timeout * 1000),
        retry_options=types.HttpRetryOptions(attempts=1),
    )
    if settings.gemini_base_url:
        options.base_url = settings.gemini_base_url
    return genai.Client(api_key=api_key, http_options=options)
