"""Bot API methods on files: send* with uploads or file_ids, sendMediaGroup, getFile.

An uploaded file is stored, so ``getFile`` and the download URL work for the file_id the bot
gets back. Photos are checked as Telegram checks them (10 MB, width + height <= 10000, ratio
<= 20, when the header is readable) and come back as two PhotoSizes, smallest first.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from typing import Any

from .api_core import Handler
from .common import caption_content, reply_markup, reply_target, sendable_chat
from .limits import (
    MAX_DOWNLOAD,
    MAX_PHOTO,
    MAX_PHOTO_RATIO,
    MAX_PHOTO_SIDES,
    MEDIA_GROUP_MAX,
    MEDIA_GROUP_MIN,
)
from .media import KINDS, SEND_METHODS, StoredFile, extension_of, image_size, photo_sizes
from .models import ApiError, UploadedFile
from .params import Context, Params
from .sending import post, send_target

MIME_TYPES = mimetypes.MimeTypes()  # Python's built-in table only: the same on every machine
DEFAULT_PHOTO_SIZE = (512, 512)  # used when a photo's header cannot be read
GROUPABLE = frozenset({"photo", "video", "audio", "document"})
_NUMERIC_META = ("duration", "width", "height", "length")


@dataclass
class FileSource:
    """A file to send: a fresh upload or a stored file reused by file_id."""

    upload: UploadedFile | None = None
    stored: StoredFile | None = None


def file_source(ctx: Context, kind: str, raw: Any, *, in_album: bool = False) -> FileSource:
    """Find the file a parameter names: its own multipart part, ``attach://``, or a file_id."""
    if raw is None or raw == "":
        upload = None if in_album else ctx.files.get(KINDS[kind].field)
        if upload is None:
            raise ApiError.bad_request(f'parameter "{KINDS[kind].field}" is required')
        return FileSource(upload=upload)
    value = str(raw)
    if value.startswith("attach://"):
        upload = ctx.files.get(value[len("attach://") :])
        if upload is None:
            raise ApiError.bad_request("can't parse InputMedia: media not found")
        return FileSource(upload=upload)
    if value.lower().startswith(("http://", "https://")):
        raise ApiError.bad_request("failed to get HTTP URL content")
    stored = ctx.state.files.get(value)
    if stored is None:
        raise ApiError.bad_request("wrong file identifier/HTTP URL specified")
    if stored.kind not in (kind, "file"):
        raise ApiError.bad_request(
            f"can't use file of type {stored.kind.title()} as {kind.replace('_', ' ').title()}"
        )
    return FileSource(stored=stored)


def check_upload(kind: str, source: FileSource) -> None:
    """Telegram's checks on an upload, made before anything is stored."""
    upload = source.upload
    if upload is None:
        return
    if not upload.data:
        raise ApiError.bad_request("file must be non-empty")
    if kind != "photo":
        return
    if len(upload.data) > MAX_PHOTO:
        raise ApiError.bad_request("file is too big")
    size = image_size(upload.data)
    if size is not None:
        width, height = size
        if (
            width <= 0
            or height <= 0
            or width + height > MAX_PHOTO_SIDES
            or max(width, height) > MAX_PHOTO_RATIO * min(width, height)
        ):
            raise ApiError.bad_request("PHOTO_INVALID_DIMENSIONS")


def media_value(ctx: Context, kind: str, source: FileSource, params: Params) -> Any:
    """Store an upload if needed and build the Message field (PhotoSize list or file object)."""
    stored = source.stored
    if kind == "photo":
        if stored is not None and stored.meta.get("sizes"):
            return list(stored.meta["sizes"])
        data = stored.data if stored is not None else source.upload.data if source.upload else b""
        width, height = image_size(data) or DEFAULT_PHOTO_SIZE
        return photo_sizes(ctx.state.files, data, width, height)
    meta: dict[str, Any] = dict(stored.meta) if stored is not None else {}
    upload = source.upload
    if upload is not None:
        spec = KINDS[kind]
        mime = upload.content_type
        if mime in ("", "application/octet-stream"):
            # aiogram sends every part as octet-stream; Telegram goes by the file name then.
            mime = MIME_TYPES.guess_type(upload.filename)[0] or spec.mime_type or mime
        meta.update(file_name=upload.filename, mime_type=mime)
    for key in _NUMERIC_META:
        value = params.integer(key)
        if value is not None:
            meta[key] = value
    for key in ("performer", "title"):
        if params.string(key):
            meta[key] = params.string(key)
    if stored is None:
        assert upload is not None
        extension = extension_of(upload.filename, KINDS[kind].extension, kind)
        stored = ctx.state.files.add(
            upload.data, kind=kind, folder=KINDS[kind].folder, extension=extension, meta=meta
        )
    return file_object(kind, stored, meta)


def file_object(kind: str, stored: StoredFile, meta: dict[str, Any]) -> dict[str, Any]:
    """The Bot API Voice/Audio/Document/Video/Animation/VideoNote object of a stored file."""
    obj: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
    }
    if kind in ("voice", "audio", "video", "animation", "video_note"):
        obj["duration"] = int(meta.get("duration", 0))
    if kind in ("video", "animation"):
        obj["width"], obj["height"] = int(meta.get("width", 0)), int(meta.get("height", 0))
    if kind == "video_note":
        obj["length"] = int(meta.get("length", 240))
    optional = {
        "voice": ("mime_type",),
        "audio": ("performer", "title", "file_name", "mime_type"),
        "document": ("file_name", "mime_type"),
        "video": ("file_name", "mime_type"),
        "animation": ("file_name", "mime_type"),
    }.get(kind, ())
    obj.update({key: meta[key] for key in optional if meta.get(key)})
    return obj


async def send_media(ctx: Context) -> Any:
    """sendPhoto, sendVoice, sendAudio, sendDocument, sendVideo, sendAnimation, sendVideoNote
    (ephemeral ones too, with ``ephemeral_message_parameters`` in groups)."""
    kind = SEND_METHODS[ctx.method]
    chat = sendable_chat(ctx)
    content = caption_content(ctx) if kind != "video_note" else {}
    markup = reply_markup(ctx)
    target = send_target(ctx, chat)
    source = file_source(ctx, kind, ctx.params.get(KINDS[kind].field))
    check_upload(kind, source)
    content[KINDS[kind].field] = media_value(ctx, kind, source, ctx.params)
    if ctx.params.flag("has_spoiler"):
        content["has_media_spoiler"] = True
    return post(ctx, chat, target, content, markup)


def _album_items(media: Any) -> list[dict[str, Any]]:
    if media is None:
        raise ApiError.bad_request('parameter "media" is required')
    if not isinstance(media, list) or not all(isinstance(item, dict) for item in media):
        raise ApiError.bad_request("can't parse media JSON object")
    if not media:
        raise ApiError.bad_request("there are no messages to send")
    if len(media) > MEDIA_GROUP_MAX:
        raise ApiError.bad_request("too many messages to send as an album")
    if len(media) < MEDIA_GROUP_MIN:
        raise ApiError.bad_request("too few messages to send as an album")
    kinds = [str(item.get("type")) for item in media]
    for kind in kinds:
        if kind in KINDS and kind not in GROUPABLE:
            raise ApiError.bad_request(
                f"can't parse InputMedia: type \"{kind}\" can't be used in sendMediaGroup"
            )
        if kind not in GROUPABLE:
            raise ApiError.bad_request(f'can\'t parse InputMedia: type "{kind}" is unsupported')
    for lonely in ("document", "audio"):
        if lonely in kinds and set(kinds) != {lonely}:
            raise ApiError.bad_request(f"{lonely} can't be mixed with other media types")
    return media


async def send_media_group(ctx: Context) -> Any:
    """An album of 2-10 items sharing a media_group_id; returns the array of Messages."""
    chat = sendable_chat(ctx)
    items = _album_items(ctx.params.json("media"))
    reply = reply_target(ctx, chat)
    prepared: list[tuple[str, FileSource, Params, dict[str, Any]]] = []
    for item in items:
        kind, params = str(item["type"]), Params(item)
        source = file_source(ctx, kind, item.get("media"), in_album=True)
        check_upload(kind, source)
        prepared.append((kind, source, params, caption_content(ctx, params)))
    group_id = str(10**12 + ctx.state.serial())
    thread_id = ctx.params.integer("message_thread_id")
    messages = []
    for kind, source, params, content in prepared:
        content[kind] = media_value(ctx, kind, source, params)
        content["media_group_id"] = group_id
        messages.append(ctx.state.add_message(chat, content, reply_to=reply, thread_id=thread_id))
    return messages


async def get_file(ctx: Context) -> Any:
    """File info with a relative file_path; files over 20 MB cannot be downloaded."""
    stored = ctx.state.files.get(ctx.params.string("file_id") or "")
    if stored is None:
        raise ApiError.bad_request("invalid file_id")
    if stored.size > MAX_DOWNLOAD:
        raise ApiError.bad_request("file is too big")
    return stored.to_api()


HANDLERS: dict[str, Handler] = {
    **dict.fromkeys(SEND_METHODS, send_media),
    "sendmediagroup": send_media_group,
    "getfile": get_file,
}
