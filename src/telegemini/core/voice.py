"""Voice in (audio straight to the model, no separate speech-to-text) and voice out (TTS)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import PurePosixPath

from telegemini.core.i18n import Translator
from telegemini.core.models import (
    Activity,
    Attachment,
    AttachmentKind,
    AudioPart,
    Reply,
    Speech,
)
from telegemini.core.ports import AudioCodec, ChatOutput, FileSource, SpeechSynthesizer
from telegemini.core.speech import for_tts, speakable, split_for_speech, take_tone
from telegemini.errors import (
    ChatUnreachable,
    DeliveryUncertain,
    InputTooLarge,
    InputTooLong,
    ModelMissing,
    UnsupportedMedia,
    UserFacingError,
)

log = logging.getLogger(__name__)

MB = 1024 * 1024

# Gemini's audio MIME types, keyed by what Telegram (or a file name) calls them.
_AUDIO_TYPES = {
    "audio/ogg": "audio/ogg",
    "audio/oga": "audio/ogg",
    "audio/opus": "audio/ogg",
    "audio/mpeg": "audio/mp3",
    "audio/mp3": "audio/mp3",
    "audio/mp4": "audio/m4a",
    "audio/m4a": "audio/m4a",
    "audio/x-m4a": "audio/m4a",
    "audio/aac": "audio/aac",
    "audio/wav": "audio/wav",
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
    "audio/vnd.wave": "audio/wav",
    "audio/flac": "audio/flac",
    "audio/x-flac": "audio/flac",
    "audio/aiff": "audio/aiff",
    "audio/x-aiff": "audio/aiff",
    "audio/webm": "audio/webm",
}
_EXTENSIONS = {
    ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg", ".mp3": "audio/mp3",
    ".m4a": "audio/m4a", ".aac": "audio/aac", ".wav": "audio/wav", ".flac": "audio/flac",
    ".aif": "audio/aiff", ".aiff": "audio/aiff", ".webm": "audio/webm",
}  # fmt: skip

# The prebuilt Gemini TTS voices, offered by /voice.
VOICES: tuple[str, ...] = (
    "Kore", "Puck", "Charon", "Zephyr", "Fenrir", "Leda", "Orus", "Aoede", "Callirrhoe",
    "Autonoe", "Enceladus", "Iapetus", "Umbriel", "Algieba", "Despina", "Erinome", "Algenib",
    "Rasalgethi", "Laomedeia", "Achernar", "Alnilam", "Schedar", "Gacrux", "Pulcherrima",
    "Achird", "Zubenelgenubi", "Vindemiatrix", "Sadachbia", "Sadaltager", "Sulafat",
)  # fmt: skip

# How each voice sounds, in a word, as Google's voice list describes them; /voice shows the
# word (from the catalog's [voice_style] table, in the user's language) beside the name.
VOICE_STYLES: dict[str, str] = {
    "Kore": "firm", "Puck": "upbeat", "Charon": "informative", "Zephyr": "bright",
    "Fenrir": "excitable", "Leda": "youthful", "Orus": "firm", "Aoede": "breezy",
    "Callirrhoe": "easy_going", "Autonoe": "bright", "Enceladus": "breathy", "Iapetus": "clear",
    "Umbriel": "easy_going", "Algieba": "smooth", "Despina": "smooth", "Erinome": "clear",
    "Algenib": "gravelly", "Rasalgethi": "informative", "Laomedeia": "upbeat",
    "Achernar": "soft", "Alnilam": "firm", "Schedar": "even", "Gacrux": "mature",
    "Pulcherrima": "forward", "Achird": "friendly", "Zubenelgenubi": "casual",
    "Vindemiatrix": "gentle", "Sadachbia": "lively", "Sadaltager": "knowledgeable",
    "Sulafat": "warm",
}  # fmt: skip


def audio_mime(attachment: Attachment) -> str | None:
    """The MIME type Gemini gets for an audio attachment, or None if it is not audio we take."""
    if attachment.kind in (AttachmentKind.VOICE, AttachmentKind.VIDEO_NOTE):
        return "audio/ogg"  # what Telegram stores (video notes: after extracting the audio)
    if attachment.kind not in (AttachmentKind.AUDIO, AttachmentKind.DOCUMENT):
        return None
    declared = (attachment.mime_type or "").split(";")[0].strip().lower()
    if declared in _AUDIO_TYPES:
        return _AUDIO_TYPES[declared]
    suffix = PurePosixPath(attachment.file_name or "").suffix.lower()
    return _EXTENSIONS.get(suffix)


def is_audio(attachment: Attachment) -> bool:
    return audio_mime(attachment) is not None


@dataclass(frozen=True, slots=True)
class VoiceConfig:
    max_input_seconds: float = 600.0
    max_download_bytes: int = 20 * MB  # the Bot API's download cap
    tts_chunk_chars: int = 1500
    tts_concurrency: int = 3
    # Telegram shows OGG voice notes up to about 1 MB as a voice bubble: ~4 min at 32 kb/s.
    max_note_seconds: float = 240.0
    default_voice: str = "Kore"


class VoiceService:
    def __init__(
        self,
        files: FileSource,
        codec: AudioCodec,
        speech: SpeechSynthesizer | None,
        config: VoiceConfig | None = None,
    ) -> None:
        self._files = files
        self._codec = codec
        self._speech = speech
        self.config = config or VoiceConfig()

    @property
    def voices(self) -> tuple[str, ...]:
        return self._speech.voices if self._speech is not None else VOICES

    async def listen(self, attachment: Attachment) -> AudioPart:
        """Check the limits (before downloading anything), download, and make the audio part."""
        mime = audio_mime(attachment)
        if mime is None:
            raise UnsupportedMedia(f"{attachment.kind} {attachment.mime_type}")
        limit = self.config.max_download_bytes
        if attachment.size is not None and attachment.size > limit:
            raise InputTooLarge(f"{attachment.size} bytes", limit_mb=limit / MB)
        seconds = self.config.max_input_seconds
        if attachment.duration is not None and attachment.duration > seconds:
            raise InputTooLong(f"{attachment.duration} s", limit_seconds=seconds)
        data = await self._files.fetch(attachment)
        if attachment.kind is AttachmentKind.VIDEO_NOTE:
            data = await self._codec.audio_track(data)
        # Decoding once proves the file is sound and measures it when Telegram did not.
        if await self._codec.duration(data) > seconds:
            raise InputTooLong("measured", limit_seconds=seconds)
        return AudioPart(data=data, mime_type=mime)

    async def speak(self, text: str, *, voice: str, out: ChatOutput, t: Translator) -> bool:
        """Send ``text`` as voice notes. A failure is reported briefly and never raised: the
        text reply has already been delivered."""
        if self._speech is None:
            return False
        tone, text = take_tone(text)
        spoken = speakable(text, omitted=lambda what: t(f"voice.omitted_{what}"))
        delivery = for_tts(spoken, style=tone)
        pieces = split_for_speech(delivery.text, self.config.tts_chunk_chars)
        if not pieces:
            return False
        try:
            async with out.activity(Activity.RECORDING_VOICE):
                speech = await self._synthesize_all(pieces, voice, delivery.style)
                notes = await self._codec.voice_notes(
                    speech, max_seconds=self.config.max_note_seconds
                )
            for note in notes:
                await out.send_voice(note)
        except (ChatUnreachable, DeliveryUncertain):
            raise  # the chat, not the voice reply, is the problem: nothing more to send
        except Exception as exc:
            missing = exc.subgroup(ModelMissing) if isinstance(exc, ExceptionGroup) else exc
            if isinstance(missing, ExceptionGroup):
                missing = missing.exceptions[0]
            if isinstance(missing, ModelMissing):
                # The operator must change TTS_MODEL: the assistant tells the user and alerts
                # the admins, once.
                if missing is exc:
                    raise
                raise missing from exc
            # Whatever broke (TTS, encoding, upload), the text is already there: say so briefly.
            expected = isinstance(exc, UserFacingError) or (
                isinstance(exc, ExceptionGroup) and exc.subgroup(UserFacingError) is not None
            )
            log.warning("voice reply failed: %r", exc, exc_info=not expected)
            await out.send(Reply(t("voice.failed"), markdown=False))
            return False
        return True

    async def _synthesize_all(
        self, pieces: list[str], voice: str, style: str | None
    ) -> list[Speech]:
        assert self._speech is not None
        speech = self._speech
        gate = asyncio.Semaphore(self.config.tts_concurrency)

        async def one(piece: str) -> Speech:
            async with gate:
                return await speech.synthesize(piece, voice=voice, style=style)

        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(piece)) for piece in pieces]
        return [task.result() for task in tasks]
