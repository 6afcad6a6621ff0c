"""What kind of output a request asks for: text, speech or an image, and their settings.

Audio is asked for by a model name containing "tts", `response_modalities` containing
"audio", or a `response_format` of type audio; images likewise with "image". Voices are read
from every `speech_config` shape the SDK passes through (a list, `{speakers}`,
`{voice, language}`, and generateContent's `voice_config.prebuilt_voice_config.voice_name`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .parsing import pick

OutputKind = Literal["text", "audio", "image"]


@dataclass(frozen=True)
class OutputRequest:
    """The output settings of one model call."""

    kind: OutputKind = "text"
    voices: tuple[str, ...] = ()
    language: str | None = None
    aspect_ratio: str | None = None
    image_size: str | None = None
    google_search: bool = False
    url_context: bool = False

    @property
    def voice(self) -> str | None:
        """The first requested voice (multi-speaker requests name several)."""
        return self.voices[0] if self.voices else None


def interactions_request(body: Mapping[str, Any]) -> OutputRequest:
    """Output settings of an Interactions `create` body (snake_case)."""
    model = str(body.get("model") or "")
    modalities = _lower_list(body.get("response_modalities"))
    formats = _as_list(body.get("response_format"))
    format_types = {str(f.get("type", "")).lower() for f in formats}
    config = body.get("generation_config")
    config = config if isinstance(config, dict) else {}
    image_config = _as_dict(config.get("image_config"))
    image_format = next((f for f in formats if f.get("type") == "image"), {})
    voices, language = _speech(config.get("speech_config"))
    tools = _as_list(body.get("tools"))
    return OutputRequest(
        kind=_kind(model, modalities, format_types),
        voices=voices,
        language=language,
        aspect_ratio=_str(image_format.get("aspect_ratio") or image_config.get("aspect_ratio")),
        image_size=_str(image_format.get("image_size") or image_config.get("image_size")),
        google_search=any(t.get("type") == "google_search" for t in tools),
        url_context=any(t.get("type") == "url_context" for t in tools),
    )


def generate_content_request(model: str, body: Mapping[str, Any]) -> OutputRequest:
    """Output settings of a generateContent body (camelCase with snake_case inside)."""
    config = _as_dict(pick(body, "generation_config", "generationConfig"))
    modalities = _lower_list(pick(config, "response_modalities", "responseModalities"))
    image_config = _as_dict(pick(config, "image_config", "imageConfig"))
    voices, language = _speech(pick(config, "speech_config", "speechConfig"))
    tools = _as_list(body.get("tools"))
    return OutputRequest(
        kind=_kind(model, modalities, set()),
        voices=voices,
        language=language,
        aspect_ratio=_str(pick(image_config, "aspect_ratio", "aspectRatio")),
        image_size=_str(pick(image_config, "image_size", "imageSize")),
        google_search=any("googleSearch" in t or "google_search" in t for t in tools),
        url_context=any("urlContext" in t or "url_context" in t for t in tools),
    )


def _kind(model: str, modalities: list[str], format_types: set[str]) -> OutputKind:
    name = model.lower()
    if "tts" in name or "audio" in modalities or "audio" in format_types:
        return "audio"
    if "image" in name or "image" in modalities or "image" in format_types:
        return "image"
    return "text"


def _speech(config: Any) -> tuple[tuple[str, ...], str | None]:
    """Voices and language from any speech_config shape."""
    entries: list[Mapping[str, Any]] = []
    if isinstance(config, str):
        return (config,), None
    if isinstance(config, list):
        entries = [e for e in config if isinstance(e, dict)]
    elif isinstance(config, dict):
        speakers = config.get("speakers")
        multi = pick(config, "multi_speaker_voice_config", "multiSpeakerVoiceConfig")
        if isinstance(speakers, list):
            entries = [e for e in speakers if isinstance(e, dict)]
        elif isinstance(multi, dict):
            configs = pick(multi, "speaker_voice_configs", "speakerVoiceConfigs") or []
            entries = [e for e in configs if isinstance(e, dict)]
        else:
            entries = [config]
    voices = tuple(v for v in (_voice_of(e) for e in entries) if v)
    languages = [pick(e, "language_code", "languageCode") or e.get("language") for e in entries]
    language = next((str(lang) for lang in languages if lang), None)
    if isinstance(config, dict) and not language:
        language = _str(pick(config, "language_code", "languageCode"))
    return voices, language


def _voice_of(entry: Mapping[str, Any]) -> str | None:
    if isinstance(entry.get("voice"), str):
        return str(entry["voice"])
    voice_config = _as_dict(pick(entry, "voice_config", "voiceConfig"))
    if isinstance(voice_config.get("voice"), str):
        return str(voice_config["voice"])
    prebuilt = _as_dict(pick(voice_config, "prebuilt_voice_config", "prebuiltVoiceConfig"))
    return _str(pick(prebuilt, "voice_name", "voiceName"))


def _as_list(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _lower_list(value: Any) -> list[str]:
    return [str(v).lower() for v in value] if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
