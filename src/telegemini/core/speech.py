"""Text for the ear: what a voice reply says, and what the text message shows.

A reply written for the eye (Markdown, code, links, tables) is rewritten before speech so the
voice never reads symbols aloud; Gemini TTS audio tags such as ``[laughs]`` are the opposite:
spoken, never shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# Gemini TTS expressive tags. Only these (and the pattern below) are hidden from the text, so
# ordinary bracketed text such as "[citation needed]" is left alone.
AUDIO_TAGS = frozenset(
    {
        "whispers", "whispering", "laughs", "laughing", "laughter", "giggles", "chuckles",
        "sighs", "sigh", "gasps", "gasp", "coughs", "clears throat", "excited", "excitedly",
        "shouting", "shouts", "sarcastic", "sarcastically", "curious", "serious", "seriously",
        "happy", "happily", "sad", "sadly", "crying", "amazed", "angry", "calm", "calmly",
        "nervous", "pause", "short pause", "long pause", "softly", "cheerfully", "tired",
        "sighing", "yawns", "hums", "mischievously", "dramatically", "enthusiastically",
    }
)  # fmt: skip
_TAG = re.compile(r"\s?\[([a-z][a-z ]{1,24})\]")
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
    """The text as shown: known audio tags removed."""
    return _TAG.sub(lambda m: "" if m.group(1) in AUDIO_TAGS else m.group(0), text).strip()


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
