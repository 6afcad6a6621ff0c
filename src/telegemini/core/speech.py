"""Text for the ear: what a voice reply says, and what the text message shows.

A reply written for the eye (Markdown, code, links, tables) is rewritten before speech so the
voice never reads symbols aloud; vocal events are the opposite: spoken, never shown.

The 3.8 TTS models read their input as a verbatim transcript (reference §3.1): momentary vocal
events are angle-bracket tags (``<laugh>``, ``<sigh>``, ``<short pause>``), and a sustained tone
of voice goes beside the text as ``speech_metadata.style``, never inside it. The expressive mode
asks the chat model for a leading ``<tone: warm, amused>`` marker and angle-bracket events;
``strip_audio_tags`` hides both (and the older square-bracket tags) from the text message, and
``for_tts`` turns a reply into the transcript and style the speech model gets. Whether a 3.8
model reads ``[laughs]`` aloud is not confirmed (reference §12): square tags never reach it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# The vocal events the 3.8 TTS models take (reference §3.1), and the spellings a chat model may
# use for them: each is spoken as its canonical tag.
VOCAL_EVENTS = {
    "laugh": "laugh", "laughs": "laugh", "laughing": "laugh", "laughter": "laugh",
    "giggles": "laugh", "chuckles": "laugh", "sigh": "sigh", "sighs": "sigh",
    "sighing": "sigh", "cough": "cough", "coughs": "cough", "clears throat": "cough",
    "breath": "breath", "breathes": "breath", "gasp": "gasp", "gasps": "gasp",
    "short pause": "short pause", "pause": "short pause", "long pause": "short pause",
}  # fmt: skip
# Older (3.1 preview) square-bracket tags that name a way of speaking rather than a sound: on 3.8
# they become the style, when the reply has none of its own.
DELIVERY_TAGS = frozenset(
    {
        "whispers", "whispering", "excited", "excitedly", "shouting", "shouts", "sarcastic",
        "sarcastically", "curious", "serious", "seriously", "happy", "happily", "sad", "sadly",
        "crying", "amazed", "angry", "calm", "calmly", "nervous", "softly", "cheerfully", "tired",
        "mischievously", "dramatically", "enthusiastically",
    }
)  # fmt: skip
# Square-bracket tags hidden from the text. Only these (and the pattern below) are, so ordinary
# bracketed text such as "[citation needed]" is left alone in the message.
AUDIO_TAGS = frozenset(VOCAL_EVENTS) | DELIVERY_TAGS | {"yawns", "hums"}
_TAG = re.compile(r"\s?\[([a-z][a-z ]{1,24})\]")
_ANGLE = re.compile(r"\s?<([a-z][a-z ]{1,24})>")
# "<tone: warm, amused>": the tone of voice the chat model suggests for the whole reply. While an
# answer is streamed its start may still be unterminated ("<tone: wa"): hidden as well.
_TONE = re.compile(r"\s*<tone:\s*([^<>\n]{0,80})(?:>|$)", re.IGNORECASE)
_TONE_START = re.compile(r"^\s*<(?:t(?:o(?:n(?:e(?::[^<>\n]{0,80})?)?)?)?)?$", re.IGNORECASE)
_FENCE = re.compile(r"```[^\n]*\n.*?(?:```|\Z)", re.DOTALL)
_TABLE = re.compile(r"(?:^\s*\|.*\|\s*$\n?){2,}", re.MULTILINE)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_URL = re.compile(r"https?://\S+|www\.\S+")
_INLINE_CODE = re.compile(r"`([^`]*)`")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|~~)(?=\S)(.+?)(?<=\S)\1")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*", re.MULTILINE)
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+", re.MULTILINE)
_QUOTE = re.compile(r"^\s*>\s?", re.MULTILINE)
_RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$", re.MULTILINE)
_DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)
_INLINE_MATH = re.compile(r"(?<![\\$\w])\$(?=\S)([^$\n]+?)(?<=\S)\$(?![\w$])")
_FRACTION = re.compile(r"\\d?frac\{([^{}]*)\}\{([^{}]*)\}")
_LATEX_WORD = re.compile(r"\\([A-Za-z]+)")
_SPACES = re.compile(r"[ \t]{2,}")
_BLANKS = re.compile(r"\n{3,}")


def strip_audio_tags(text: str) -> str:
    """The text as shown: known vocal events (angle or square brackets), square-bracket delivery
    tags and the tone marker removed."""
    if "<" not in text and "[" not in text:  # nothing to remove (most answers): no regex scans
        return text.strip()
    text = _TONE.sub("", text)
    if _TONE_START.match(text):  # a draft that has only begun its marker
        return ""
    text = _ANGLE.sub(lambda m: "" if m.group(1) in VOCAL_EVENTS else m.group(0), text)
    return _TAG.sub(lambda m: "" if m.group(1) in AUDIO_TAGS else m.group(0), text).strip()


@dataclass(frozen=True, slots=True)
class Delivery:
    """What the speech model gets: a transcript (vocal events as angle-bracket tags, nothing
    else in brackets) and the tone of voice for all of it (``None``: the voice's own)."""

    text: str
    style: str | None = None


def take_tone(text: str) -> tuple[str | None, str]:
    """The tone of voice the reply asks for (its first ``<tone: …>`` marker) and the reply
    without any marker."""
    found = _TONE.search(text)
    tone = (" ".join(found.group(1).split())[:80] or None) if found else None
    return tone, _TONE.sub("", text).strip()


def for_tts(text: str, *, style: str | None = None) -> Delivery:
    """``text`` (already ``speakable``) as a 3.8 transcript: known vocal events, in either
    bracket, become their canonical angle-bracket tag; square-bracket delivery tags become the
    style when ``style`` is None; every other lower-case tag in brackets is dropped (the model
    would read it aloud)."""
    delivery: list[str] = []

    def square(match: re.Match[str]) -> str:
        tag = match.group(1)
        if tag in VOCAL_EVENTS:
            return f" <{VOCAL_EVENTS[tag]}>"
        if tag in DELIVERY_TAGS:
            delivery.append(tag)
        return ""

    def angle(match: re.Match[str]) -> str:
        tag = match.group(1)
        return f" <{VOCAL_EVENTS[tag]}>" if tag in VOCAL_EVENTS else ""

    spoken = _ANGLE.sub(angle, _TAG.sub(square, _TONE.sub("", text)))
    spoken = _SPACES.sub(" ", spoken).strip()
    return Delivery(spoken, style or (delivery[0] if delivery else None))


def speakable(text: str, *, omitted: Callable[[str], str]) -> str:
    """The text as spoken: Markdown dropped, code and tables replaced by a short remark
    (``omitted("code")`` / ``omitted("table")``, in the listener's language), formulas read as
    text, links read as their words and bare URLs left out. Audio tags stay for the speech
    model."""
    text = _FENCE.sub(lambda _: f"\n{omitted('code')}\n", text)
    text = _TABLE.sub(lambda _: f"{omitted('table')}\n", text)
    text = _DISPLAY_MATH.sub(lambda m: f" {_formula(m.group(1))} ", text)
    text = _INLINE_MATH.sub(lambda m: _formula(m.group(1)), text)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _URL.sub("", text)
    text = _INLINE_CODE.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = _HEADING.sub("", text)
    text = _BULLET.sub("", text)
    text = _QUOTE.sub("", text)
    text = _RULE.sub("", text)
    text = _SPACES.sub(" ", text)
    return _BLANKS.sub("\n\n", text).strip()


def _formula(latex: str) -> str:
    """A formula read as text: its symbols and words, without the LaTeX around them
    (``\\frac{a}{b}`` as a/b, ``\\alpha`` as alpha, no braces or dollar signs)."""
    text = _FRACTION.sub(r"\1/\2", latex)
    text = _LATEX_WORD.sub(
        lambda m: {"cdot": "·", "times": "×", "pm": "±"}.get(m.group(1), m.group(1)), text
    )
    return " ".join(text.replace("{", "").replace("}", "").split())


_SENTENCE_END = re.compile(r"(?<=[.!?。！？…])\s+|\n+")


def split_for_speech(text: str, limit: int = 1500) -> list[str]:
    """Pieces of at most ``limit`` characters, cut between sentences (words if a sentence is
    longer), for a TTS model with a bounded input."""
    pieces: list[str] = []
    current = ""
    for sentence in (s.strip() for s in _SENTENCE_END.split(text)):
        if not sentence:
            continue
        while len(sentence) > limit:
            cut = sentence.rfind(" ", 0, limit)
            cut = cut if cut > limit // 3 else limit
            head, sentence = sentence[:cut].strip(), sentence[cut:].strip()
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
        if current and len(current) + 1 + len(sentence) > limit:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        pieces.append(current)
    return pieces
