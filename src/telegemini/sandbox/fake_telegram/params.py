"""Reading a Bot API request: query string, urlencoded, multipart or JSON body.

aiogram sends form fields (non-strings JSON-encoded) and, with files, multipart parts named by
``attach://`` references; other clients name a part after its parameter or send JSON bodies.
``read_request`` gives one flat dict with JSON-typed fields decoded, plus the uploaded files.
In a JSON body, ``rich_message`` must be a real object: a double-encoded one (a JSON string) is
left a string, which the rich methods refuse as Telegram does ("rich message must be non-empty").
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, hdrs, web

from .limits import MAX_UPLOAD
from .models import ApiError, UploadedFile, as_int

if TYPE_CHECKING:
    from .state import FakeState

JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "media",
        "allowed_updates",
        "commands",
        "scope",
        "reaction",
        "reply_parameters",
        "link_preview_options",
        "message_ids",
        "results",
        "options",
        "permissions",
        "menu_button",
        "rights",
        "rich_message",
        "ephemeral_message_parameters",
        "prices",
        "suggested_tip_amounts",
    }
)
# Fields a JSON body must carry as objects (they are not decoded a second time).
OBJECT_ONLY_IN_JSON = frozenset({"rich_message"})


async def read_request(request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """All parameters of a request (JSON fields decoded) and its uploaded files."""
    params: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    json_keys: set[str] = set()
    if request.body_exists:
        content_type = request.content_type
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as exc:
                raise ApiError.bad_request("can't parse JSON encoded request") from exc
            if not isinstance(body, dict):
                raise ApiError.bad_request("JSON object expected as request body")
            params.update(body)
            json_keys = set(body)
        elif content_type == "multipart/form-data":
            await _read_multipart(request, params, files)
        else:
            form = await request.post()
            params.update({key: value for key, value in form.items() if isinstance(value, str)})
    for key in JSON_FIELDS & params.keys():
        if key in OBJECT_ONLY_IN_JSON and key in json_keys:
            continue
        value = params[key]
        if isinstance(value, str) and value[:1] in ("{", "["):
            # A value that does not decode stays a string; the method reports it cannot parse it.
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    return params, files


async def _read_multipart(
    request: web.Request, params: dict[str, Any], files: dict[str, UploadedFile]
) -> None:
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        if part.filename is None:
            params[part.name] = await part.text()
            continue
        chunks: list[bytes] = []
        size = 0
        while chunk := await part.read_chunk():
            size += len(chunk)
            if size > MAX_UPLOAD:
                raise ApiError(413, "Request Entity Too Large")
            chunks.append(chunk)
        content_type = part.headers.get(hdrs.CONTENT_TYPE, "application/octet-stream")
        files[part.name] = UploadedFile(part.filename, content_type, b"".join(chunks))


class Params:
    """Typed access to request parameters, raising Telegram's errors for bad values."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    def get(self, name: str) -> Any:
        """The raw value, or None."""
        return self.raw.get(name)

    def string(self, name: str) -> str | None:
        """The value as a string (numbers converted), or None when absent."""
        value = self.raw.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        raise ApiError.bad_request(f'parameter "{name}" must be a String')

    def integer(self, name: str) -> int | None:
        """The value as an int, or None when absent."""
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        number = as_int(value)
        if number is None:
            raise ApiError.bad_request(f'parameter "{name}" must be a Number')
        return number

    def number(self, name: str) -> float | None:
        """The value as a float, or None when absent."""
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise ApiError.bad_request(f'parameter "{name}" must be a Number') from exc

    def flag(self, name: str) -> bool:
        """The value as a boolean (``true``/``1``), False when absent."""
        value = self.raw.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def json(self, name: str, what: str | None = None) -> Any:
        """A JSON-typed value; a string that did not decode is Telegram's parse error."""
        value = self.raw.get(name)
        if isinstance(value, str) and value != "":
            raise ApiError.bad_request(f"can't parse {what or name} JSON object")
        return None if value == "" else value


@dataclass
class Context:
    """What a method handler gets: the shared state and this request's parameters and files."""

    state: FakeState
    params: Params
    files: dict[str, UploadedFile]
    method: str
