"""Files the user sends for the model to read: PDFs whole, text and code files as UTF-8 text.

Every check that can refuse a file is made before it is downloaded (its declared kind and size),
so an archive or a 50 MB PDF costs neither a download nor a model call.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

from telegemini.core.models import Attachment, AttachmentKind, DocumentPart, ImagePart, Part
from telegemini.core.ports import FileSource
from telegemini.errors import InputTooLarge, UnsupportedDocument

MB = 1024 * 1024
PDF = "application/pdf"
TEXT = "text/plain"

Kind = Literal["pdf", "text", "image"]

# Declared types read as text (besides every text/*), and file name suffixes that are text.
_TEXT_TYPES = frozenset(
    {
        "application/json",
        "application/xml",
        "application/x-yaml",
        "application/yaml",
        "application/toml",
        "application/javascript",
        "application/x-javascript",
        "application/typescript",
        "application/x-sh",
        "application/x-shellscript",
        "application/x-python",
        "application/x-python-code",
        "application/sql",
        "application/x-tex",
        "application/x-ipynb+json",
    }
)
_TEXT_SUFFIX_WORDS = (
    "txt md markdown rst csv tsv json jsonl xml yaml yml toml ini cfg conf log py pyi js mjs cjs "
    "ts tsx jsx java kt kts scala go rs c h cc cpp cxx hpp cs swift m rb php pl lua r jl dart sh "
    "bash zsh fish ps1 bat sql html htm css scss sass less vue svelte tex bib srt vtt ipynb env "
    "gitignore gradle proto graphql hs ex exs erl clj lisp el vim nix tf sol"
)
_TEXT_SUFFIXES = frozenset(f".{word}" for word in _TEXT_SUFFIX_WORDS.split())
_TEXT_NAMES = frozenset({"makefile", "dockerfile", "readme", "license", "changelog", "procfile"})
_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
_IMAGE_SUFFIXES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
_URL = re.compile(r"https?://[^\s<>\"'«»]+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DocumentConfig:
    max_download_bytes: int = 20 * MB  # the Bot API's download cap (Gemini takes 50 MB inline)
    max_text_bytes: int = 2 * MB  # a text file this long is already ~500k tokens
    # Files of one message together (an album): a request may carry 100 MB inline, and base64
    # makes 75 MB of that; Gemini's Files API is never needed below Telegram's cap.
    max_total_bytes: int = 50 * MB


def kind_of(attachment: Attachment) -> Kind | None:
    """What the model can make of a file, by its declared type and name (None: nothing)."""
    declared = (attachment.mime_type or "").split(";")[0].strip().lower()
    path = PurePosixPath((attachment.file_name or "").lower())
    if declared == PDF or path.suffix == ".pdf":
        return "pdf"
    if declared in _IMAGE_TYPES or path.suffix in _IMAGE_SUFFIXES:
        return "image"
    if (
        declared.startswith("text/")
        or declared in _TEXT_TYPES
        or path.suffix in _TEXT_SUFFIXES
        or path.name in _TEXT_NAMES
    ):
        return "text"
    return None


def is_document(attachment: Attachment) -> bool:
    return attachment.kind is AttachmentKind.DOCUMENT


def has_url(text: str) -> bool:
    """Whether a message names a web page (the model may then read it)."""
    return _URL.search(text) is not None


def label(attachment: Attachment) -> str:
    """How the transcript records the file: ``📄 name.pdf``."""
    return f"📄 {attachment.file_name or 'document'}"


class DocumentReader:
    """Checks a document (kind, size), downloads it and makes the part the model reads."""

    def __init__(self, files: FileSource, config: DocumentConfig | None = None) -> None:
        self._files = files
        self.config = config or DocumentConfig()

    def check_all(self, attachments: tuple[Attachment, ...]) -> None:
        """Refuse what cannot be read, each file and all of them together, before any download."""
        for attachment in attachments:
            self.check(attachment)
        total = sum(a.size or 0 for a in attachments)
        if total > self.config.max_total_bytes:
            raise InputTooLarge(f"{total} bytes", limit_mb=_megabytes(self.config.max_total_bytes))

    def check(self, attachment: Attachment) -> Kind:
        """Refuse what cannot be read, before anything is downloaded."""
        name = attachment.file_name or "document"
        kind = kind_of(attachment)
        if kind is None:
            raise UnsupportedDocument(f"{attachment.mime_type} {name}", name=name)
        limit = self.config.max_text_bytes if kind == "text" else self.config.max_download_bytes
        if attachment.size is not None and attachment.size > limit:
            raise InputTooLarge(f"{attachment.size} bytes", limit_mb=_megabytes(limit))
        return kind

    async def read(self, attachment: Attachment) -> Part:
        kind = self.check(attachment)
        name = attachment.file_name or "document"
        data = await self._files.fetch(attachment)
        if kind == "pdf":
            if not data.startswith(b"%PDF-"):
                raise UnsupportedDocument("not a PDF", name=name)
            return DocumentPart(data, PDF, name)
        if kind == "image":
            declared = (attachment.mime_type or "").split(";")[0].strip().lower()
            suffix = PurePosixPath(name.lower()).suffix
            return ImagePart(
                data, declared if declared in _IMAGE_TYPES else _IMAGE_SUFFIXES[suffix]
            )
        if len(data) > self.config.max_text_bytes:  # Telegram did not say how large it was
            raise InputTooLarge(
                f"{len(data)} bytes", limit_mb=_megabytes(self.config.max_text_bytes)
            )
        text = decode_text(data)
        if text is None:
            raise UnsupportedDocument("binary content", name=name)
        return DocumentPart(text.encode("utf-8"), TEXT, name)


def decode_text(data: bytes) -> str | None:
    """A text file's text: UTF-8 (a BOM dropped), or UTF-16 with its BOM; None when the bytes
    are not text (a NUL byte, or not valid in either)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _megabytes(size: int) -> float:
    return size / MB
