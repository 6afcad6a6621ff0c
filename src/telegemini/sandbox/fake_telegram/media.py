"""Files and media: the store behind ``getFile``, media kinds, cheap image-header reading."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class MediaKind:
    """How one kind of media is stored and shown in a Message."""

    field: str  # the Message field and the send method's parameter
    folder: str  # first segment of file_path, as Telegram's cloud API names it
    extension: str
    mime_type: str | None


KINDS: dict[str, MediaKind] = {
    "photo": MediaKind("photo", "photos", "jpg", None),
    "voice": MediaKind("voice", "voice", "oga", "audio/ogg"),
    "audio": MediaKind("audio", "music", "mp3", "audio/mpeg"),
    "document": MediaKind("document", "documents", "bin", "application/octet-stream"),
    "video": MediaKind("video", "videos", "mp4", "video/mp4"),
    "animation": MediaKind("animation", "animations", "mp4", "video/mp4"),
    "video_note": MediaKind("video_note", "video_notes", "mp4", None),
}
SEND_METHODS = {f"send{name.replace('_', '')}": name for name in KINDS}
# Telegram re-encodes these, so their file_path extension never follows the upload's name.
FIXED_EXTENSION = frozenset({"photo", "voice", "video_note"})


@dataclass
class StoredFile:
    """A file Telegram keeps: its ids, its download path and bytes (or only a declared size)."""

    file_id: str
    file_unique_id: str
    kind: str
    path: str
    data: bytes
    size: int
    meta: dict[str, Any] = field(default_factory=dict)

    def to_api(self) -> dict[str, Any]:
        """The Bot API ``File`` object (``getFile``'s result)."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.path,
        }


class FileStore:
    """All files by id and by path. Ids stay unique for the server's whole life."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._counter = 0

    def add(
        self,
        data: bytes,
        *,
        kind: str,
        folder: str,
        extension: str,
        size: int | None = None,
        meta: dict[str, Any] | None = None,
    ) -> StoredFile:
        """Store ``data`` under a new file_id and ``{folder}/file_{n}.{extension}``."""
        self._counter += 1
        number = self._counter
        suffix = f".{extension.lstrip('.')}" if extension else ""
        stored = StoredFile(
            file_id=f"fake-{kind}-{number}",
            file_unique_id=f"fakeU{number}",
            kind=kind,
            path=f"{folder.strip('/')}/file_{number}{suffix}",
            data=data,
            size=len(data) if size is None else size,
            meta=dict(meta or {}),
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        """The file with this id, if any."""
        return self._by_id.get(file_id)

    def by_path(self, path: str) -> StoredFile | None:
        """The file with this download path, if any."""
        return self._by_path.get(path)


def extension_of(file_name: str | None, default: str, kind: str = "") -> str:
    """The file_path extension for ``file_name`` (without dot), or ``default``."""
    if kind not in FIXED_EXTENSION and file_name and "." in file_name.rsplit("/", 1)[-1]:
        return file_name.rsplit(".", 1)[-1].lower()[:10]
    return default


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG, GIF, JPEG or WebP header; None when unreadable."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        return _jpeg_size(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        return _webp_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (segment,) = struct.unpack(">H", data[i + 2 : i + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(width), int(height)
        i += 2 + segment
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return int(width) & 0x3FFF, int(height) & 0x3FFF
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    return None


def thumbnail_size(width: int, height: int, side: int = 320) -> tuple[int, int]:
    """The size Telegram's small preview of a ``width`` x ``height`` photo would have."""
    scale = min(1.0, side / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def photo_sizes(store: FileStore, data: bytes, width: int, height: int) -> list[dict[str, Any]]:
    """Store a photo as Telegram does: a small preview and the full size, smallest first.

    Both sizes point at the same bytes; only their declared dimensions differ.
    """
    sizes: list[dict[str, Any]] = []
    stored_files: list[StoredFile] = []
    for w, h in (thumbnail_size(width, height), (width, height)):
        stored = store.add(
            data,
            kind="photo",
            folder=KINDS["photo"].folder,
            extension="jpg",
            meta={"width": w, "height": h},
        )
        stored_files.append(stored)
        sizes.append(
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": stored.size,
                "width": w,
                "height": h,
            }
        )
    for stored in stored_files:
        stored.meta["sizes"] = sizes  # sending any size again by file_id shows the whole photo
    return sizes
