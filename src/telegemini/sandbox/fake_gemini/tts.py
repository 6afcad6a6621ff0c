"""The 3.8 TTS models as the fake plays them (reference §3 and §10.1).

- The input is a verbatim transcript: angle-bracket vocal events (`<laugh>`, `<sigh>`,
  `<short pause>` …) are sounds, not words, and add no length; anything else is read aloud,
  square-bracket tags such as `[laughs]` included (whether the live model does is unconfirmed;
  the fake assumes the worst so a regression is heard: longer audio, and `read_aloud` in the
  request's meta).
- `speech_metadata` annotations on the text blocks (`style`, `speaker`) are accepted and
  recorded (`styles`, `speakers` in the meta).
- What the live server rejects is rejected: a bare-object `speech_config` (`{"voice": …}`:
  400 "Unknown parameter 'voice' at 'generation_config.structured_speech_config'") and the
  sampling parameters `temperature`, `top_p`, `top_k` on a TTS model (400 INVALID_ARGUMENT).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .parsing import Json, input_steps

VOCAL_EVENTS = frozenset({"laugh", "sigh", "cough", "breath", "gasp", "short pause"})
SAMPLING = ("temperature", "top_p", "top_k")

_ANGLE = re.compile(r"<([a-z][a-z ]{0,24})>")
_SQUARE = re.compile(r"\[[^\[\]\n]{1,40}\]")


def rejection(body: Mapping[str, Any], model: str) -> str | None:
    """Why the live server would refuse this speech request, or None."""
    config = body.get("generation_config")
    config = config if isinstance(config, dict) else {}
    speech = config.get("speech_config")
    if isinstance(speech, dict) and "speakers" not in speech:
        field = next(iter(speech), "voice")
        return f"Unknown parameter '{field}' at 'generation_config.structured_speech_config'."
    if "tts" in model.lower():
        for name in SAMPLING:
            if name in config:
                return (
                    f"Invalid value at 'generation_config.{name}': {name} is not supported by "
                    "this model."
                )
    return None


def spoken_text(text: str) -> str:
    """The words actually spoken: vocal events removed, spaces collapsed."""
    spoken = _ANGLE.sub(lambda m: "" if m.group(1) in VOCAL_EVENTS else m.group(0), text)
    return " ".join(spoken.split())


def read_aloud(text: str) -> list[str]:
    """Bracketed directions the model would speak as words (square tags, unknown angle tags)."""
    unknown = [f"<{m}>" for m in _ANGLE.findall(text) if m not in VOCAL_EVENTS]
    return _SQUARE.findall(text) + unknown


def speech_annotations(body: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The styles and speakers of the `speech_metadata` annotations in the input."""
    styles: list[str] = []
    speakers: list[str] = []
    for step in input_steps(body.get("input")):
        for block in step.get("content") or []:
            if not isinstance(block, dict):
                continue
            for note in block.get("annotations") or []:
                if isinstance(note, dict) and note.get("type") == "speech_metadata":
                    _add(styles, note.get("style"))
                    _add(speakers, note.get("speaker"))
    return styles, speakers


def _add(found: list[str], value: Json | str | None) -> None:
    if isinstance(value, str) and value:
        found.append(value)
