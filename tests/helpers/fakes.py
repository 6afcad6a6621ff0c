"""Recording fakes of the core's ports: a script in, a history out."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field

from telegemini.core.models import (
    Activity,
    Attachment,
    ChatCompleted,
    ChatEvent,
    ChatRequest,
    GeneratedImage,
    ImagePart,
    OutgoingPhoto,
    OutgoingVideo,
    Reply,
    Speech,
    Started,
    TextDelta,
    ToolCall,
    VoiceNote,
)
from telegemini.core.voice import VOICES
from telegemini.errors import ConversationExpired, CorruptMedia


@dataclass
class ScriptedAnswer:
    chunks: list[str]
    error: Exception | None = None
    calls: list[ToolCall] = field(default_factory=list)
    hang: bool = False  # after the chunks, write nothing more until cancelled (a slow model)


class FakeChatModel:
    """``ChatModel`` that answers from a script (or echoes) and records every request."""

    def __init__(self) -> None:
        self.script: deque[ScriptedAnswer] = deque()
        self.history: list[ChatRequest] = []
        self.expired: set[str] = set()
        self.closed_early = 0  # streams ended by the caller before they completed
        self._next_id = 0

    def enqueue(self, *chunks: str, error: Exception | None = None) -> None:
        self.script.append(ScriptedAnswer(list(chunks), error))

    def enqueue_hanging(self, *chunks: str) -> None:
        """An answer that writes ``chunks`` and then nothing, until the caller closes it."""
        self.script.append(ScriptedAnswer(list(chunks), hang=True))

    def enqueue_call(self, name: str, **arguments: object) -> None:
        call = ToolCall(call_id=f"call-{len(self.script)}", name=name, arguments=arguments)
        self.script.append(ScriptedAnswer([], calls=[call]))

    async def stream(self, request: ChatRequest) -> AsyncGenerator[ChatEvent, None]:
        self.history.append(request)
        if request.previous_id in self.expired:
            raise ConversationExpired(request.previous_id or "")
        answer = self.script.popleft() if self.script else ScriptedAnswer(["echo"])
        if answer.error is not None and not answer.chunks:
            raise answer.error
        self._next_id += 1
        yield Started(f"i{self._next_id}")
        for chunk in answer.chunks:
            yield TextDelta(chunk)
        if answer.hang:
            try:
                await asyncio.Event().wait()
            finally:
                self.closed_early += 1
        for call in answer.calls:
            yield call
        if answer.error is not None:
            raise answer.error
        yield ChatCompleted(interaction_id=f"i{self._next_id}", text="".join(answer.chunks))


@dataclass
class FakeChatOutput:
    """``ChatOutput`` that records what a user would have seen."""

    can_stream: bool = True
    draft_id: int | None = 1
    sent: list[Reply] = field(default_factory=list)
    drafts: list[str] = field(default_factory=list)
    thinking_drafts: list[str] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    active: list[Activity] = field(default_factory=list)

    @contextlib.asynccontextmanager
    async def activity(self, kind: Activity) -> AsyncIterator[None]:
        self.activities.append(kind)
        self.active.append(kind)
        try:
            yield
        finally:
            self.active.remove(kind)

    async def draft(self, text: str, *, thinking: str = "") -> None:
        self.drafts.append(text)
        self.thinking_drafts.append(thinking)

    voices: list[VoiceNote] = field(default_factory=list)
    edits: list[tuple[int, Reply]] = field(default_factory=list)
    callback_answers: list[str | None] = field(default_factory=list)
    events: list[str] = field(default_factory=list)  # "text" / "voice" in the order sent

    async def send(self, reply: Reply) -> None:
        assert not self.active, "a reply must not be sent while 'typing…' is still shown"
        self.sent.append(reply)
        self.events.append("text")

    async def send_voice(self, note: VoiceNote) -> None:
        assert not self.active, "a voice note must not be sent while 'recording…' is shown"
        self.voices.append(note)
        self.events.append("voice")

    async def edit(self, message_id: int, reply: Reply) -> None:
        self.edits.append((message_id, reply))

    async def answer_callback(self, text: str | None = None) -> None:
        self.callback_answers.append(text)

    statuses: dict[int, str] = field(default_factory=dict)  # progress messages still shown
    photos: list[OutgoingPhoto] = field(default_factory=list)
    documents: list[tuple[str, bytes]] = field(default_factory=list)
    videos: list[OutgoingVideo] = field(default_factory=list)
    albums: list[list[OutgoingPhoto]] = field(default_factory=list)
    _next_id: int = 100

    async def send_status(self, text: str) -> int:
        self._next_id += 1
        self.statuses[self._next_id] = text
        return self._next_id

    async def delete(self, message_id: int) -> None:
        self.statuses.pop(message_id, None)

    async def send_photo(self, photo: OutgoingPhoto) -> str:
        self.photos.append(photo)
        self.events.append("photo")
        return photo.file_id or f"file-{len(self.photos)}"

    async def send_document(self, data: bytes, *, filename: str, caption: str = "") -> None:
        self.documents.append((filename, data))
        self.events.append("document")

    async def send_album(self, photos: list[OutgoingPhoto]) -> list[str]:
        self.albums.append(photos)
        self.events.append("album")
        return [f"album-{n}" for n in range(len(photos))]

    async def send_video(self, video: OutgoingVideo) -> None:
        self.videos.append(video)
        self.events.append("video")

    @property
    def texts(self) -> list[str]:
        return [r.text for r in self.sent]


class FakeFileSource:
    """Files by id; a missing id is a bug in the test."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.fetched: list[str] = []

    async def fetch(self, attachment: Attachment) -> bytes:
        self.fetched.append(attachment.file_id)
        return self.files[attachment.file_id]


class FakeSpeech:
    """Speech whose bytes spell out the text (1 ms of "audio" per byte, see FakeAudioCodec)."""

    voices = VOICES

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.styles: list[str | None] = []  # the style of each request, in the same order
        self.fail_with: Exception | None = None

    async def synthesize(self, text: str, *, voice: str, style: str | None = None) -> Speech:
        self.requests.append((text, voice))
        self.styles.append(style)
        if self.fail_with is not None:
            raise self.fail_with
        return Speech(text.encode(), "audio/l16", 24_000)


class FakeAudioCodec:
    """Pretends 1 byte is 1 ms of audio; b"corrupt…" cannot be decoded."""

    async def duration(self, data: bytes) -> float:
        if data.startswith(b"corrupt") or not data:
            raise CorruptMedia("fake")
        return len(data) / 1000

    async def audio_track(self, video: bytes) -> bytes:
        if video.startswith(b"corrupt"):
            raise CorruptMedia("fake")
        return b"audio-of:" + video

    async def voice_notes(self, speech: list[Speech], *, max_seconds: float) -> list[VoiceNote]:
        notes: list[VoiceNote] = []
        batch = b""
        for piece in speech:
            if batch and (len(batch) + len(piece.data)) / 1000 > max_seconds:
                notes.append(VoiceNote(batch, len(batch) / 1000))
                batch = b""
            batch += piece.data
        if batch:
            notes.append(VoiceNote(batch, len(batch) / 1000))
        return notes


class FakeImageGenerator:
    """Images whose bytes name the request; a script of exceptions to raise first."""

    sizes = ("1K", "2K", "4K")
    max_references = 3

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str | None, list[ImagePart]]] = []
        self.failures: deque[Exception] = deque()

    async def generate(
        self, prompt: str, *, size: str, aspect_ratio: str | None, references: list[ImagePart]
    ) -> GeneratedImage:
        self.requests.append((prompt, size, aspect_ratio, references))
        if self.failures:
            raise self.failures.popleft()
        return GeneratedImage(f"png:{prompt}:{size}".encode(), "image/png", "")


class FakeImageCodec:
    async def to_photo(self, data: bytes) -> bytes:
        return b"jpeg:" + data
