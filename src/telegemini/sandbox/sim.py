"""The chat page's server: the page itself and the ``/sim`` API that drives the fake Bot API.

Routes (JSON unless said otherwise; errors are ``400 {"error": "..."}``):

- ``GET /`` the page; ``GET /static/...`` its scripts and styles.
- ``GET /sim/state`` the bot, the model in use, the simulated users, the group, every chat's
  messages, the group's ephemeral messages (each page shows a user only theirs) and each user's
  command menu.
- ``GET /sim/events`` Server-Sent Events: messages, edits, deletions, ephemeral messages, chat
  actions, drafts and their Stop button, reactions, callback answers, command menu changes
  (see ``events.py``).
- ``GET /sim/commands?user_id=N`` the command menu the user sees (``setMyCommands``).
- ``POST /sim/send`` ``{user_id, chat_id, text, reply_to?}`` a text message.
- ``POST /sim/voice?user_id=&chat_id=&reply_to=`` the body is a browser recording (WebM/Opus,
  MP4, WAV, OGG); it is converted to an OGG/Opus voice note.
- ``POST /sim/photos`` multipart ``user_id, chat_id, caption?, reply_to?, file...``: one image
  is a photo, several are an album (one ``media_group_id``, the caption on the first); other
  files are sent as documents.
- ``POST /sim/press`` ``{user_id, chat_id, message_id, data, ephemeral_message_id?}`` presses an
  inline button: a real callback query (on an ephemeral message: its receiver only).
- ``POST /sim/stop`` ``{user_id, draft_id}`` presses the Stop button under the user's streamed
  draft: a ``stopped_message_generation`` update.
- ``GET /sim/file/{file_id}[?download=1]`` a file from the fake's store (voice, photo, video,
  document), with byte ranges (``Range: bytes=…``, answered 206) so a video can be seeked.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web

from telegemini.sandbox import people
from telegemini.sandbox.events import EventHub
from telegemini.sandbox.fake_telegram import FakeChat, FakeTelegramServer, FakeUser
from telegemini.sandbox.fake_telegram.media import StoredFile
from telegemini.sandbox.uploads import InputError, convert_photo, convert_recording

WEB_DIR = Path(__file__).parent / "web"
MAX_UPLOAD = 60 * 1024 * 1024  # ten 5 MB photos, with room to spare
MAX_ALBUM = 10
_IMAGE_TYPES = (
    (b"\x89PNG", "image/png"),
    (b"\xff\xd8", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"RIFF", "image/webp"),
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class SimError(ValueError):
    """A request the page should not have made; answered with 400 and the message."""


@dataclass(frozen=True)
class ModelInfo:
    """Which model answers, as the page's banner shows it."""

    demo: bool
    label: str
    speaks: bool = True
    """Voice notes are speech (Gemini, or the demo with espeak-ng), not the demo's tone."""


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except (SimError, InputError) as exc:
        return web.json_response({"error": str(exc)}, status=400)


def _integer(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SimError(f"{name} must be an integer") from None


def _optional_integer(value: Any, name: str) -> int | None:
    return None if value in (None, "", "null") else _integer(value, name)


def _user(value: Any) -> FakeUser:
    user = people.find_user(_integer(value, "user_id"))
    if user is None:
        raise SimError(f"no simulated user {value}")
    return user


def _where(user: FakeUser, chat_id: Any) -> tuple[int, FakeChat | None]:
    chat_number = _integer(chat_id, "chat_id")
    try:
        return chat_number, people.chat_for(user, chat_number)
    except ValueError as exc:
        raise SimError(str(exc)) from None


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise SimError("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise SimError("the body must be a JSON object")
    return body


def _content_type(stored: StoredFile) -> str:
    if stored.kind == "voice":
        return "audio/ogg"
    if stored.kind == "photo":
        return next((t for magic, t in _IMAGE_TYPES if stored.data.startswith(magic)), "image/jpeg")
    mime = stored.meta.get("mime_type")
    return str(mime) if mime else "application/octet-stream"


class SimApi:
    """The page and the ``/sim`` routes for one fake Bot API server."""

    def __init__(self, fake: FakeTelegramServer, model: ModelInfo) -> None:
        self.fake = fake
        self.model = model
        self.hub = EventHub()
        self._albums = itertools.count(1)
        self._unsubscribe: Callable[[], None] | None = None
        self.last_language: str | None = None
        """The language of the simulated user who wrote last (the demo model answers in it
        when a message has no words of its own: a voice note, a photo)."""

    def attach(self) -> None:
        """Make the users and the group known to the fake and start relaying its events."""
        for user in people.USERS:
            self.fake.add_chat(user)
        self.fake.add_chat(people.GROUP)
        self._unsubscribe = self.fake.subscribe(self.hub.publish)

    def detach(self) -> None:
        """Stop relaying events and end every page's stream."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.hub.close()

    def app(self) -> web.Application:
        app = web.Application(middlewares=[_errors], client_max_size=MAX_UPLOAD)
        app.router.add_get("/", self.index)
        app.router.add_static("/static", WEB_DIR)
        app.router.add_get("/sim/state", self.state)
        app.router.add_get("/sim/events", self.hub.stream)
        app.router.add_get("/sim/commands", self.commands)
        app.router.add_post("/sim/send", self.send)
        app.router.add_post("/sim/voice", self.voice)
        app.router.add_post("/sim/photos", self.photos)
        app.router.add_post("/sim/press", self.press)
        app.router.add_post("/sim/stop", self.press_stop)
        app.router.add_post("/sim/pay", self.pay)
        app.router.add_get("/sim/file/{file_id}", self.file)
        return app

    # --- reading ---------------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(WEB_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    def menu(self, user: FakeUser) -> list[dict[str, str]]:
        """The commands ``user`` sees in their private chat, as Telegram picks them: the list
        set for that chat (an admin's own menu) before the default one; in each, the list for
        their language before the one for every language."""
        language = people.menu_language(user.language_code)
        for scope in ({"type": "chat", "chat_id": user.id}, None):
            found = (language and self.fake.commands(scope, language)) or self.fake.commands(scope)
            if found:
                return found
        return []

    async def state(self, request: web.Request) -> web.Response:
        chats = {str(user.id): self.fake.chat_log(user.id) for user in people.USERS}
        chats[str(people.GROUP.id)] = self.fake.chat_log(people.GROUP.id)
        ephemeral = self.fake.ephemeral_messages(people.GROUP.id, bot_only=False)
        return web.json_response(
            {
                "bot": {
                    "id": self.fake.bot_id,
                    "first_name": self.fake.bot_first_name,
                    "username": self.fake.bot_username,
                },
                "model": {
                    "demo": self.model.demo,
                    "label": self.model.label,
                    "speaks": self.model.speaks,
                },
                "users": people.describe_users(),
                "group": people.describe_group(),
                "chats": chats,
                "ephemeral": {str(people.GROUP.id): ephemeral},
                "commands": {str(user.id): self.menu(user) for user in people.USERS},
            }
        )

    async def commands(self, request: web.Request) -> web.Response:
        return web.json_response(self.menu(_user(request.query.get("user_id"))))

    async def file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        stored = self._stored(file_id)
        if stored is None:
            return web.json_response({"error": f"no file {file_id}"}, status=404)
        headers = {"Cache-Control": "private, max-age=3600", "Accept-Ranges": "bytes"}
        if request.query.get("download"):
            name = str(stored.meta.get("file_name") or stored.path.rsplit("/", 1)[-1])
            headers["Content-Disposition"] = f'attachment; filename="{name.replace(chr(34), "")}"'
        data, total = stored.data, len(stored.data)
        if "Range" not in request.headers:
            return web.Response(body=data, content_type=_content_type(stored), headers=headers)
        try:
            start, stop, _ = request.http_range.indices(total)
        except ValueError:  # not a single byte range aiohttp can read: the whole file
            return web.Response(body=data, content_type=_content_type(stored), headers=headers)
        if start >= stop:
            headers["Content-Range"] = f"bytes */{total}"
            return web.Response(status=416, headers=headers)
        headers["Content-Range"] = f"bytes {start}-{stop - 1}/{total}"
        return web.Response(
            status=206, body=data[start:stop], content_type=_content_type(stored), headers=headers
        )

    def _stored(self, file_id: str) -> StoredFile | None:
        return self.fake.file(file_id)

    # --- what users do ---------------------------------------------------------------------

    async def send(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        user = _user(body.get("user_id"))
        chat_id, chat = _where(user, body.get("chat_id"))
        text = str(body.get("text") or "").strip()
        self.last_language = user.language_code
        if not text:
            raise SimError("the message is empty")
        reply_to = _optional_integer(body.get("reply_to"), "reply_to")
        self._check_reply(chat_id, reply_to)
        update = self.fake.send_text(user, text, chat=chat, reply_to_message_id=reply_to)
        return web.json_response({"message": update["message"]})

    async def voice(self, request: web.Request) -> web.Response:
        user = _user(request.query.get("user_id"))
        chat_id, chat = _where(user, request.query.get("chat_id"))
        self.last_language = user.language_code
        reply_to = _optional_integer(request.query.get("reply_to"), "reply_to")
        self._check_reply(chat_id, reply_to)
        note = await convert_recording(await request.read())
        update = self.fake.send_voice(
            user, note.data, duration=note.duration, chat=chat, reply_to_message_id=reply_to
        )
        return web.json_response({"message": update["message"]})

    async def photos(self, request: web.Request) -> web.Response:
        fields, files = await _read_multipart(request)
        user = _user(fields.get("user_id"))
        chat_id, chat = _where(user, fields.get("chat_id"))
        self.last_language = user.language_code
        reply_to = _optional_integer(fields.get("reply_to"), "reply_to")
        self._check_reply(chat_id, reply_to)
        caption = fields.get("caption", "").strip() or None
        images = [f for f in files if f[1].startswith("image/")]
        others = [f for f in files if not f[1].startswith("image/")]
        if not files:
            raise SimError("no file was attached")
        if len(images) > MAX_ALBUM:
            raise SimError(f"an album holds at most {MAX_ALBUM} photos")
        converted = [await convert_photo(data) for _name, _type, data in images]
        group = str(10**15 + next(self._albums)) if len(converted) > 1 else None
        sent: list[dict[str, Any]] = []
        for photo in converted:
            update = self.fake.send_photo(
                user,
                photo.data,
                width=photo.width,
                height=photo.height,
                caption=caption if not sent else None,
                chat=chat,
                media_group_id=group,
                reply_to_message_id=reply_to if not sent else None,
            )
            sent.append(update["message"])
        for name, mime, data in others:
            update = self.fake.send_document(
                user,
                data,
                file_name=name,
                mime_type=mime,
                caption=caption if not sent else None,
                chat=chat,
            )
            sent.append(update["message"])
        return web.json_response({"messages": sent})

    async def press(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        user = _user(body.get("user_id"))
        chat_id, _chat = _where(user, body.get("chat_id"))
        ephemeral_id = _optional_integer(body.get("ephemeral_message_id"), "ephemeral_message_id")
        if ephemeral_id is not None:
            message = next(
                (
                    item
                    for item in self.fake.ephemeral_messages(chat_id, user.id)
                    if item.get("ephemeral_message_id") == ephemeral_id
                ),
                None,
            )
        else:
            message = self.fake.message(chat_id, _integer(body.get("message_id"), "message_id"))
        if message is None:
            raise SimError("that message is gone")
        try:
            update = self.fake.press_button(user, message, str(body.get("data") or ""))
        except ValueError as exc:
            raise SimError(str(exc)) from None
        return web.json_response({"callback_query_id": update["callback_query"]["id"]})

    async def press_stop(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        user = _user(body.get("user_id"))
        draft_id = _integer(body.get("draft_id"), "draft_id")
        try:
            update = self.fake.press_stop(user, draft_id)
        except ValueError as exc:
            raise SimError(str(exc)) from None
        return web.json_response({"update_id": update["update_id"]})

    async def pay(self, request: web.Request) -> web.Response:
        """ "Pay ⭐ N" under an invoice (or on a subscription's link): the pre-checkout goes to
        the bot and, when it says yes, the payment."""
        body = await _json_body(request)
        user = _user(body.get("user_id"))
        try:
            checkout = self.fake.pay(user, str(body.get("invoice") or ""))
        except ValueError as exc:
            raise SimError(str(exc)) from None
        return web.json_response({"pre_checkout_query_id": checkout.query_id})

    def _check_reply(self, chat_id: int, reply_to: int | None) -> None:
        if reply_to is not None and self.fake.message(chat_id, reply_to) is None:
            raise SimError(f"message {reply_to} is not in this chat")


async def _read_multipart(
    request: web.Request,
) -> tuple[dict[str, str], list[tuple[str, str, bytes]]]:
    """Form fields and files ``(name, content type, bytes)`` of a multipart upload."""
    if not request.content_type.startswith("multipart/"):
        raise SimError("expected a multipart/form-data upload")
    fields: dict[str, str] = {}
    files: list[tuple[str, str, bytes]] = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        if part.filename is not None:
            data = await part.read(decode=False)
            mime = part.headers.get("Content-Type", "application/octet-stream")
            files.append((part.filename, mime, bytes(data)))
        else:
            fields[part.name] = await part.text()
    return fields, files
