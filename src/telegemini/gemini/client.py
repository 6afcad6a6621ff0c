"""One google-genai client per process, configured so that we, not the SDK, own retries."""

from __future__ import annotations

import functools
import typing
from typing import Any

from google import genai
from google.genai import types
from google.genai._gaos.utils import forms, queryparams, serializers, url
from pydantic import ConfigDict

from telegemini.settings import Settings

_MODELS: dict[tuple[str, Any, Any], Any] = {}


def _cached_create_model(name: str, /, **fields: Any) -> Any:
    """google-genai 3.x's request encoder and response decoder build a fresh pydantic model class
    for every request, every response and every streamed event (``serializers.marshal_json`` and
    ``unmarshal`` call ``create_model``), which measured about a third of the bot's CPU per
    answer. The class depends only on the name, the target type and the configuration, so build
    it once (``warm_up`` builds some ahead: with another configuration than the SDK's, the SDK
    would build its own)."""
    if name not in ("Marshaller", "Unmarshaller") or set(fields) != {"body", "__config__"}:
        return _ORIGINAL_CREATE_MODEL(name, **fields)
    try:
        key = (name, fields["body"][0], frozenset(fields["__config__"].items()))
        model = _MODELS.get(key)
    except (TypeError, AttributeError):  # unhashable: build it every time, as the SDK does
        return _ORIGINAL_CREATE_MODEL(name, **fields)
    if model is None:
        model = _MODELS[key] = _ORIGINAL_CREATE_MODEL(name, **fields)
    return model


_ORIGINAL_CREATE_MODEL = serializers.create_model  # type: ignore[attr-defined]
serializers.create_model = _cached_create_model  # type: ignore[attr-defined]

_JSON_SCALARS = (str, int, float, bool, type(None))


def _json_like(data: Any) -> bool:
    """Only dicts with string keys, lists and JSON scalars, as our request bodies are."""
    if isinstance(data, _JSON_SCALARS):
        return True
    if type(data) is list:
        return all(_json_like(item) for item in data)
    if type(data) is dict:
        return all(type(k) is str and _json_like(v) for k, v in data.items())
    return False


def _coerce_unless_json(data: Any, typ: Any) -> Any:
    """The request encoder walks every request body against the request's type, trying each
    variant of every union (``_coerce_iterables_for_type``), to turn tuples, sets and other
    iterables into lists: a fifth of the SDK's CPU per answer, measured. JSON-shaped data has
    nothing to turn, and the walk would return it unchanged, so it is skipped."""
    if _json_like(data):
        return data
    return _ORIGINAL_COERCE(data, typ)


_ORIGINAL_COERCE = serializers._coerce_iterables_for_type
serializers._coerce_iterables_for_type = _coerce_unless_json


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    """``typing.get_type_hints`` of a request class, evaluated once: the SDK asks again for
    every request (path, query and form parameters), re-parsing forward references."""
    return typing.get_type_hints(cls)


for _module in (url, queryparams, forms):
    _module.get_type_hints = _type_hints  # type: ignore[attr-defined]


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


def warm_up(client: genai.Client) -> None:
    """Do what the SDK otherwise does on its first Interactions call, on the thread that calls
    this: import the Interactions client and build the request and answer models that
    ``marshal_json`` and ``unmarshal`` build (with the SDK's own arguments). On the event loop
    that was ~60 ms in one piece, on the first voice reply, picture or clip."""
    from google.genai._gaos import models
    from google.genai._gaos.types.interactions.interaction import Interaction

    client.aio.interactions  # noqa: B018 (a property that imports the Interactions client)
    config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)
    _cached_create_model(
        "Marshaller", body=(models.CreateInteractionRequestBody, ...), __config__=config
    )
    for answer in (models.CreateInteractionRequest, Interaction):
        _cached_create_model("Unmarshaller", body=(answer, ...), __config__=config)
