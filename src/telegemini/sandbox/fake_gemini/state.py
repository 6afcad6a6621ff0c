"""Everything the fake server remembers: settings, stored interactions and files, the request
log, the script and the fault queue. Shared by the route handlers and `FakeGeminiServer`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .answer import SpeechSettings
from .interactions import StoredInteraction
from .script import FaultQueue, Script
from .video import VideoClock, VideoTask

if TYPE_CHECKING:
    from .hooks import MediaMaker

TtsFormat = Literal["pcm", "wav"]


class UnknownInteractionError(KeyError):
    """A `previous_interaction_id` (or path id) that the fake does not hold."""

    def __init__(self, interaction_id: str) -> None:
        super().__init__(interaction_id)
        self.interaction_id = interaction_id


@dataclass
class RecordedRequest:
    """One request as the fake received it.

    `headers` have lower-case names (the API key is kept, so tests can assert it was sent);
    `body` is the parsed JSON object, if any; `at` is `time.monotonic()` on arrival; `meta`
    is filled while answering (e.g. `{"kind": "image", "logical_size": [2048, 1152], …}`,
    `{"kind": "audio", "voice": "Kore", …}`, `{"interaction_id": …}`).
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any] | None
    at: float
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.body,
            "at": self.at,
            "meta": self.meta,
        }


@dataclass
class StoredFile:
    """A file uploaded through the resumable Files API."""

    id: str
    mime_type: str
    display_name: str | None
    expected_size: int
    created: str
    data: bytearray = field(default_factory=bytearray)
    complete: bool = False

    @property
    def name(self) -> str:
        return f"files/{self.id}"

    def to_json(self, base_url: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "mimeType": self.mime_type,
            "sizeBytes": str(len(self.data)),
            "createTime": self.created,
            "updateTime": self.created,
            "expirationTime": self.created,
            "uri": f"{base_url}/v1beta/{self.name}",
            "state": "ACTIVE" if self.complete else "PROCESSING",
            "source": "UPLOADED",
        }
        if self.display_name:
            body["displayName"] = self.display_name
        return body


class ServerState:
    """Mutable state of one fake server."""

    def __init__(
        self,
        *,
        tts_format: TtsFormat,
        chunk_delay: float,
        speech: SpeechSettings,
        media: MediaMaker | None = None,
    ) -> None:
        self.tts_format: TtsFormat = tts_format
        self._initial_tts_format: TtsFormat = tts_format
        self.chunk_delay = chunk_delay
        self._initial_chunk_delay = chunk_delay
        self.latency = 0.0
        self.retired_models: set[str] = set()  # answered 404 "not found", as the live API does
        self.speech = speech
        self.media = media  # replaces the default tone and PNG; kept across reset()
        self.script = Script()
        self.faults = FaultQueue()
        self.requests: list[RecordedRequest] = []
        self.interactions: dict[str, StoredInteraction] = {}
        self.files: dict[str, StoredFile] = {}
        self.video_clock = VideoClock()  # how long clips take (background interactions)
        self.videos: dict[str, VideoTask] = {}
        self._changed: asyncio.Condition | None = None

    # --- request log ---------------------------------------------------------------------

    async def record(self, request: RecordedRequest) -> None:
        self.requests.append(request)
        condition = self._condition()
        async with condition:
            condition.notify_all()

    def matching(self, match: str | None) -> list[RecordedRequest]:
        return [r for r in self.requests if match is None or match in r.path]

    async def wait_for_requests(
        self,
        count: int,
        *,
        match: str | None,
        timeout: float,  # noqa: ASYNC109 - public API: tests pass a plain number
    ) -> list[RecordedRequest]:
        condition = self._condition()
        try:
            async with asyncio.timeout(timeout), condition:
                await condition.wait_for(lambda: len(self.matching(match)) >= count)
        except TimeoutError:
            seen = [f"{r.method} {r.path}" for r in self.requests]
            raise TimeoutError(
                f"expected {count} requests matching {match!r} within {timeout}s; saw {seen}"
            ) from None
        return self.matching(match)

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    # --- interactions --------------------------------------------------------------------

    def chain(self, previous_id: str | None) -> list[StoredInteraction]:
        """The stored interactions ending at `previous_id`, oldest first."""
        chain: list[StoredInteraction] = []
        seen: set[str] = set()
        current = previous_id
        while current and current not in seen:
            seen.add(current)
            stored = self.interactions.get(current)
            if stored is None:
                raise UnknownInteractionError(current)
            chain.append(stored)
            current = stored.previous_interaction_id
        chain.reverse()
        return chain

    # --- files ---------------------------------------------------------------------------

    def resolve_file(self, uri: str) -> bytes | None:
        """Bytes of an uploaded file named by its `uri` (or `files/ID`)."""
        file_id = uri.rstrip("/").rsplit("/", 1)[-1]
        stored = self.files.get(file_id)
        return bytes(stored.data) if stored is not None and stored.complete else None

    def reset(self) -> None:
        """Back to a fresh server: no state, script, faults or log; default timings."""
        self.latency = 0.0
        self.retired_models.clear()
        self.chunk_delay = self._initial_chunk_delay
        self.tts_format = self._initial_tts_format
        self.script.clear()
        self.faults.clear()
        self.requests.clear()
        self.interactions.clear()
        self.files.clear()
        self.videos.clear()
        self.video_clock = VideoClock()
