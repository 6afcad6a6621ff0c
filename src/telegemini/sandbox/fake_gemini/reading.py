"""What the fake model reads: PDFs (`document` blocks) and web pages (the `url_context` tool).

PDFs: `make_pdf` writes a small valid PDF with one line of text per page, and `pdf_pages` reads
the text of each page back (uncompressed or Flate content streams, `Tj`/`TJ` strings: enough for
the PDFs tests and the sandbox make, not for every PDF). A question about a PDF (in the same turn,
or later in the chain) is answered with the quoted text of the page it asks about (`page N`,
else page 1) and the page cited: `report.pdf, page 2: "…" (p. 2)`. The bot names a file in a text
block before it (`File: report.pdf`); a text file is that block followed by its content.

Pages: every http(s) URL in the latest user text (20 at most) is "read". A host under `.invalid`
fails (`error`), a path containing `paywall` is behind one (`paywall`); the others succeed and
get one cited sentence each in the answer.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from .parsing import Turn

MAX_URLS = 20
_URL = re.compile(r"https?://[^\s<>\"'«»)\]]+", re.IGNORECASE)
_FILE = re.compile(r"^File: (?P<name>[^\n]+)", re.MULTILINE)
_PAGE = re.compile(r"\b(?:page|p\.)\s*(?P<number>\d{1,4})\b", re.IGNORECASE)
_OBJECT = re.compile(rb"(\d+)\s+0\s+obj\b(.*?)\bendobj", re.DOTALL)
_STRING = re.compile(rb"\((?P<text>(?:\\.|[^\\)])*)\)\s*'?(?:Tj)?")
_TJ = re.compile(rb"\[(?P<array>[^\]]*)\]\s*TJ|\((?P<text>(?:\\.|[^\\)])*)\)\s*Tj")


# --- PDFs ---------------------------------------------------------------------------------


def make_pdf(pages: Sequence[str]) -> bytes:
    """A valid PDF with one line of (Latin-1) text on each page."""
    count = len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode(),
    ]
    font = 3 + 2 * count
    for index, text in enumerate(pages):
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode("latin-1", "replace")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * index} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page, in page order ([] when nothing can be read)."""
    objects = {int(m.group(1)): m.group(2) for m in _OBJECT.finditer(data)}
    order = _page_order(objects)
    texts = []
    for number in order:
        contents = re.search(rb"/Contents\s+(\d+)\s+0\s+R", objects[number])
        body = objects.get(int(contents.group(1)), b"") if contents else b""
        texts.append(_text_of(_stream(body)))
    return texts


def _page_order(objects: dict[int, bytes]) -> list[int]:
    pages = [n for n, body in objects.items() if re.search(rb"/Type\s*/Page\b", body)]
    tree = next((b for b in objects.values() if re.search(rb"/Type\s*/Pages\b", b)), b"")
    kids = re.search(rb"/Kids\s*\[([^\]]*)\]", tree)
    listed = [int(n) for n in re.findall(rb"(\d+)\s+0\s+R", kids.group(1))] if kids else []
    return [n for n in listed if n in pages] or sorted(pages)


def _stream(body: bytes) -> bytes:
    match = re.search(rb"stream\r?\n(.*?)\r?\n?endstream", body, re.DOTALL)
    if match is None:
        return b""
    raw = match.group(1)
    if b"/FlateDecode" in body[: match.start()]:
        try:
            return zlib.decompress(raw)
        except zlib.error:
            return b""
    return raw


def _text_of(content: bytes) -> str:
    pieces = []
    for match in _TJ.finditer(content):
        if match.group("array") is not None:
            strings = _STRING.finditer(match.group("array"))
            pieces.append("".join(_unescape(s.group("text")) for s in strings))
        else:
            pieces.append(_unescape(match.group("text")))
    return " ".join(p for p in pieces if p).strip()


def _unescape(raw: bytes) -> str:
    text = re.sub(rb"\\([()\\])", rb"\1", raw)
    return text.decode("latin-1")


@dataclass(frozen=True)
class Document:
    name: str
    pages: list[str]


def latest_document(turns: Sequence[Turn]) -> Document | None:
    """The last PDF a user sent in the conversation, with the name the bot gave it."""
    for turn in reversed(turns):
        if turn.role != "user":
            continue
        for block in reversed(turn.media):
            if block.mime_type == "application/pdf" and block.data is not None:
                named = next((m for t in turn.texts if (m := _FILE.match(t))), None)
                name = named.group("name").strip() if named else "the document"
                return Document(name, pdf_pages(block.data))
    return None


def document_reply(turns: Sequence[Turn], latest_text: str) -> str | None:
    """The answer to a turn that sends a file or asks about the last PDF by page; else None."""
    latest = next((t for t in reversed(turns) if t.role == "user"), None)
    sent_now = latest is not None and any(m.kind == "document" for m in latest.media)
    asked = _PAGE.search(latest_text)
    if sent_now or asked:
        document = latest_document(turns)
        if document is not None:
            return _quote(document, int(asked.group("number")) if asked else 1)
    text_file = next((t for t in (latest.texts if latest else []) if _FILE.match(t)), None)
    if text_file is not None and "\n\n" in text_file:
        header, _, content = text_file.partition("\n\n")
        lines = content.splitlines()
        first = next((line.strip() for line in lines if line.strip()), "")
        name = header.removeprefix("File: ").strip()
        count = f"{len(lines)} line" + ("" if len(lines) == 1 else "s")
        return f'I read {name} ({count}). It begins: "{first}"'
    return None


def _quote(document: Document, page: int) -> str:
    if not document.pages:
        return f"I could not read any text in {document.name}."
    if not 1 <= page <= len(document.pages):
        return f"{document.name} has only {len(document.pages)} pages."
    return f'{document.name}, page {page}: "{document.pages[page - 1]}" (p. {page})'


# --- web pages ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PageRead:
    url: str
    status: str  # success | error | paywall | unsafe

    @property
    def title(self) -> str:
        parts = urlsplit(self.url)
        return f"Fake page: {parts.netloc}{parts.path}".rstrip("/")

    @property
    def sentence(self) -> str:
        return f"The page {self.url} is a fake page about {urlsplit(self.url).netloc}."


def urls_in(text: str) -> list[str]:
    found: list[str] = []
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?")
        if url not in found:
            found.append(url)
    return found[:MAX_URLS]


def read_pages(text: str) -> list[PageRead]:
    pages = []
    for url in urls_in(text):
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        status = "success"
        if host.endswith(".invalid") or not host:
            status = "error"
        elif "paywall" in parts.path.lower():
            status = "paywall"
        pages.append(PageRead(url, status))
    return pages
