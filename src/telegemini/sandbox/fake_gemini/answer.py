"""The model's answer to one call, independent of the wire format (Interactions or
generateContent): text with its stream chunks, speech, an image, a safety block, citations.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import tts
from .media import ImageSizes, image_sizes, pcm_tone, png_image, speech_seconds
from .options import OutputKind, OutputRequest
from .parsing import latest_user_turn
from .reading import PageRead, read_pages
from .script import FinishKind, Magic, RequestContext, Script, default_reply

BLOCK_MESSAGE = "The response was blocked because it may violate the safety policy."

SEARCH_SOURCES: tuple[tuple[str, str], ...] = (
    ("https://news.example.com/2026/fake-story", "Example News: The fake story"),
    ("https://blog.example.org/analysis", "Example Blog: An analysis"),
    ("https://news.example.com/2026/fake-story", "Example News: The fake story"),
)
"""Cited sources, in citation order; the third repeats the first URL on purpose."""

_SEARCH_SENTENCES = (
    "The first source reports the fake story.",
    "A second source offers an analysis.",
    "The first source confirms it again.",
)
_NEWS_WORD = re.compile(r"\bnews\b", re.IGNORECASE)


@dataclass(frozen=True)
class Citation:
    """A cited segment of the answer text; offsets are UTF-8 byte offsets, end exclusive."""

    start: int
    end: int
    segment: str
    url: str
    title: str


@dataclass(frozen=True)
class Grounding:
    """Google Search grounding of a text answer."""

    queries: tuple[str, ...]
    citations: tuple[Citation, ...]

    def unique_sources(self) -> list[tuple[str, str]]:
        seen: dict[str, str] = {}
        for citation in self.citations:
            seen.setdefault(citation.url, citation.title)
        return list(seen.items())


@dataclass
class Answer:
    """Everything a fake model call produces."""

    kind: OutputKind
    text: str = ""
    chunks: list[str] = field(default_factory=list)
    speech_pcm: bytes | None = None
    image_png: bytes | None = None
    image: ImageSizes | None = None
    finish: FinishKind = "stop"
    block_code: str | None = None
    grounding: Grounding | None = None
    stream_error: bool = False
    delay: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)
    function_call: tuple[str, dict[str, Any]] | None = None
    """A call of one of the request's function tools (name, arguments) instead of text."""
    pages: list[PageRead] = field(default_factory=list)
    """Web pages read with the `url_context` tool (its call and result steps)."""
    page_citations: list[Citation] = field(default_factory=list)

    @property
    def citations(self) -> list[Citation]:
        """Every `url_citation` of the text: search grounding, then the pages read."""
        found = list(self.grounding.citations) if self.grounding is not None else []
        return found + self.page_citations

    @property
    def blocked(self) -> bool:
        return self.finish == "safety"


@dataclass(frozen=True)
class SpeechSettings:
    """Server-wide speech settings: fake speech lasts `ms_per_char` per input character."""

    ms_per_char: float = 60.0
    min_seconds: float = 0.5
    max_seconds: float = 30.0


def compose_answer(
    context: RequestContext,
    output: OutputRequest,
    magic: Magic,
    script: Script,
    speech: SpeechSettings,
) -> Answer:
    """Build the answer for one call; text calls consume the script."""
    if output.kind == "audio":
        return _speech_answer(context, output, magic, speech)
    if output.kind == "image":
        return _image_answer(context, output, magic)
    results = _function_results(context.body)
    if results:
        after = script.after_tools
        text = after(context, results) if after is not None else "Done. " + " ".join(results)
        return Answer(kind="text", text=text, chunks=split_chunks(text), meta={"kind": "text"})
    call = _function_call(context)
    if call is not None:
        return Answer(kind="text", function_call=call, meta={"kind": "function_call"})
    scripted = script.next_reply(context)
    reply = scripted or default_reply(context, magic)
    finish: FinishKind = "safety" if magic.blocked else reply.finish
    answer = Answer(kind="text", finish=finish, delay=reply.delay, stream_error=magic.stream_error)
    answer.meta = {"kind": "text", "scripted": scripted is not None}
    if answer.blocked:
        answer.block_code = "safety"
        return answer
    text = reply.full_text
    if output.google_search and (magic.search or _NEWS_WORD.search(context.text)):
        text, answer.grounding = _grounded(text, context.text)
        answer.meta["grounding"] = True
    if output.url_context:
        answer.pages = read_pages(context.text)
        text, answer.page_citations = _with_pages(text, answer.pages)
        answer.meta["pages"] = [[p.url, p.status] for p in answer.pages]
    answer.text = text
    answer.chunks = list(reply.chunks) if reply.chunks is not None else split_chunks(text)
    if text != reply.full_text and reply.chunks is not None:
        answer.chunks.append(text[len(reply.full_text) :])
    return answer


def _speech_answer(
    context: RequestContext, output: OutputRequest, magic: Magic, speech: SpeechSettings
) -> Answer:
    meta: dict[str, Any] = {"kind": "audio", "voice": output.voice, "language": output.language}
    if len(output.voices) > 1:
        meta["voices"] = list(output.voices)
    styles, speakers = tts.speech_annotations(context.body)
    if styles:
        meta["styles"] = styles
    if speakers:
        meta["speakers"] = speakers
    if magic.blocked:
        return Answer(kind="audio", finish="safety", block_code="safety", meta=meta)
    # A transcript: vocal events are sounds, bracketed directions are read aloud (tts.py).
    if tts.read_aloud(context.text):
        meta["read_aloud"] = tts.read_aloud(context.text)
    seconds = speech_seconds(
        tts.spoken_text(context.text),
        ms_per_char=speech.ms_per_char,
        min_seconds=speech.min_seconds,
        max_seconds=speech.max_seconds,
    )
    meta["seconds"] = seconds
    return Answer(kind="audio", speech_pcm=pcm_tone(seconds), meta=meta)


def _image_answer(context: RequestContext, output: OutputRequest, magic: Magic) -> Answer:
    sizes = image_sizes(output.aspect_ratio, output.image_size)
    latest = latest_user_turn(context.turns)
    inputs = sum(1 for m in latest.media if m.kind == "image") if latest else 0
    meta: dict[str, Any] = {
        "kind": "image",
        "aspect_ratio": sizes.aspect_ratio,
        "image_size": sizes.image_size,
        "logical_size": list(sizes.logical),
        "pixel_size": list(sizes.pixels),
        "input_images": inputs,
    }
    if magic.blocked:
        return Answer(kind="image", finish="safety", block_code="image_safety", meta=meta)
    width, height = sizes.pixels
    text = (
        f"Here is your image ({sizes.aspect_ratio}, {sizes.image_size}, "
        f"{inputs} input images): {context.text}"
    )
    seed = zlib.crc32(context.text.encode())
    return Answer(
        kind="image",
        text=text,
        chunks=[text],
        image_png=png_image(width, height, seed=seed),
        image=sizes,
        meta=meta,
    )


_DRAW = re.compile(
    r"^\s*(?:please\s+)?(?:draw|paint|sketch|illustrate)\b(?:\s+me)?\s*(?P<subject>.*)$",
    re.IGNORECASE | re.DOTALL,
)


# A photo with "make it …" (or "turn it into …", in the sandbox's five languages) is an edit:
# the model calls its image tool with the caption, as Gemini does.
_EDIT = re.compile(
    r"^\s*(?:please\s+)?(?:(?:make|turn|change|edit|convert)\s+(?:it|this|that|the\s+"
    r"(?:photo|picture|image))\b|hazl[ao]\b|convi[ée]rte\w*|сделай\b|преврати\b|把|变成|改成|變成)",
    re.IGNORECASE,
)


def _function_call(context: RequestContext) -> tuple[str, dict[str, Any]] | None:
    """A deterministic stand-in for the model choosing a tool: a request starting with
    "draw", "paint", "sketch" or "illustrate" calls the first function tool whose name mentions
    an image, with the rest of the sentence as its ``prompt``; a picture sent with "make it …"
    calls it with the whole caption, to edit the picture."""
    tools = context.body.get("tools")
    names = [
        str(t.get("name"))
        for t in (tools if isinstance(tools, list) else [])
        if isinstance(t, dict) and t.get("type") == "function" and t.get("name")
    ]
    target = next((n for n in names if "image" in n.lower()), None)
    if target is not None and _EDIT.match(context.text) and image_inputs_of(context):
        return target, {"prompt": context.text.strip(), "use_attached_photos": True}
    match = _DRAW.match(context.text)
    if target is None or match is None or not match.group("subject").strip():
        return None
    return target, {"prompt": match.group("subject").strip()}


def image_inputs_of(context: RequestContext) -> int:
    """How many pictures came with the latest user turn."""
    latest = latest_user_turn(context.turns)
    return sum(1 for m in latest.media if m.kind == "image") if latest else 0


def _function_results(body: Mapping[str, Any]) -> list[str]:
    """The results the caller sent back for earlier function calls."""
    steps = body.get("input")
    results = []
    for step in steps if isinstance(steps, list) else []:
        if isinstance(step, dict) and step.get("type") == "function_result":
            result = step.get("result")
            results.append(result if isinstance(result, str) else str(result))
    return results


def _grounded(text: str, query: str) -> tuple[str, Grounding]:
    """Append a cited paragraph to `text`: three citations, two distinct URLs."""
    prefix = f"{text}\n\n" if text else ""
    body = " ".join(_SEARCH_SENTENCES)
    full = prefix + body
    citations: list[Citation] = []
    offset = len(prefix.encode())
    for sentence, (url, title) in zip(_SEARCH_SENTENCES, SEARCH_SOURCES, strict=True):
        size = len(sentence.encode())
        citations.append(Citation(offset, offset + size, sentence, url, title))
        offset += size + 1
    return full, Grounding(queries=(query or "news",), citations=tuple(citations))


def _with_pages(text: str, pages: list[PageRead]) -> tuple[str, list[Citation]]:
    """Append one cited sentence per page read successfully."""
    read = [page for page in pages if page.status == "success"]
    if not read:
        return text, []
    prefix = f"{text}\n\n" if text else ""
    offset = len(prefix.encode())
    citations = []
    for page in read:
        size = len(page.sentence.encode())
        citations.append(Citation(offset, offset + size, page.sentence, page.url, page.title))
        offset += size + 1
    return prefix + " ".join(page.sentence for page in read), citations


def split_chunks(text: str) -> list[str]:
    """Split `text` at word boundaries into 3–8 chunks (fewer for very short texts).

    Joining the chunks gives `text` back exactly.
    """
    words = re.findall(r"\s*\S+\s*", text) or ([text] if text else [])
    if len(words) <= 3:
        return words
    count = max(3, min(8, len(words) // 4))
    chunks: list[str] = []
    for index in range(count):
        start = index * len(words) // count
        end = (index + 1) * len(words) // count
        chunks.append("".join(words[start:end]))
    return [c for c in chunks if c]
