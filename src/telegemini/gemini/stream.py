"""The streamed chat call, ``POST /v1/interactions`` with ``"stream": true``, made directly on
aiohttp and read as server-sent events into plain dicts.

Why not the SDK for this one call: measured on this machine, a streamed
``client.aio.interactions.create`` costs 3-5 ms of CPU in google-genai (httpx2, the generated
client's pydantic models for every event), the same exchange here ~0.4 ms
(``bench/bench_chat_stream.py``: 3.7 → 0.43 ms, A/B), and the chat call is
made for every message. The SDK stays for everything else (speech, images, models, countTokens).
The request and the events are the SDK's own: ``tests/unit/gemini/test_stream_contract.py``
sends the same bodies through both to the fake server and compares what arrives and what is
read back, and fails when the pinned SDK's URL, headers or event shapes move.
"""

from __future__ import annotations

import contextlib
import platform
from collections.abc import AsyncGenerator, Mapping
from importlib.metadata import version
from typing import Any

import aiohttp
import orjson

from telegemini.errors import UpstreamUnavailable
from telegemini.gemini.errors import body_message, from_status

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"  # the SDK's default server
API_VERSION = "v1"  # the version the SDK 3.3.0 calls the Interactions API on
# The same client header the SDK sends, so the service sees one client either way.
# (Read from the package's metadata: importing the SDK would load it, ~18 MB, for this string.)
CLIENT_HEADER = f"google-genai-sdk/{version('google-genai')} gl-python/{platform.python_version()}"

Model = tuple[str, str] | None
Event = dict[str, Any]


class InteractionStreams:
    """Streamed Interactions calls on one aiohttp session (opened on first use)."""

    def __init__(self, *, api_key: str | None, base_url: str | None = None) -> None:
        self._url = f"{(base_url or DEFAULT_BASE_URL).rstrip('/')}/{API_VERSION}/interactions"
        self._headers = {
            "accept": "text/event-stream",
            "content-type": "application/json",
            "user-agent": CLIENT_HEADER,
            "x-goog-api-client": CLIENT_HEADER,
        }
        if api_key:
            self._headers["x-goog-api-key"] = api_key
        self._session: aiohttp.ClientSession | None = None

    async def events(
        self, body: Mapping[str, Any], *, seconds: float, model: Model = None
    ) -> AsyncGenerator[Event, None]:
        """The events of one streamed interaction, in order. ``seconds`` bounds the connection
        and each wait for more of the stream. An HTTP error is raised as our error (``model``
        names the setting for a 404 about the model); leaving the iteration early closes the
        connection, so the model stops generating."""
        session = self._open()
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=seconds, sock_read=seconds)
        payload = orjson.dumps({**body, "stream": True})
        async with session.post(
            self._url, data=payload, headers=self._headers, timeout=timeout
        ) as response:
            if response.status >= 400:
                raise from_status(
                    response.status,
                    error_message(await response.read()),
                    response.headers,
                    model=model,
                )
            async with contextlib.aclosing(_sse_events(response.content)) as events:
                async for event in events:
                    yield event

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300)
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


async def _sse_events(content: aiohttp.StreamReader) -> AsyncGenerator[Event, None]:
    """JSON objects from the ``data:`` fields of server-sent events (blank-line separated)."""
    buffer = b""
    async for chunk in content.iter_any():
        buffer += chunk
        while True:
            end, skip = _event_end(buffer)
            if end < 0:
                break
            block, buffer = buffer[:end], buffer[end + skip :]
            event = _parse_event(block)
            if event is not None:
                yield event
    event = _parse_event(buffer)
    if event is not None:
        yield event


def _event_end(buffer: bytes) -> tuple[int, int]:
    """Where the first complete event ends, and the length of the separator (-1: none yet)."""
    lf = buffer.find(b"\n\n")
    crlf = buffer.find(b"\r\n\r\n")
    if crlf >= 0 and (lf < 0 or crlf < lf):
        return crlf, 4
    return lf, 2


def _parse_event(block: bytes) -> Event | None:
    data = [line[5:].removeprefix(b" ") for line in block.splitlines() if line.startswith(b"data:")]
    if not data:
        return None
    try:
        event = orjson.loads(b"\n".join(data))
    except ValueError as exc:
        raise UpstreamUnavailable("malformed event in the answer's stream") from exc
    return event if isinstance(event, dict) else None


def error_message(raw: bytes) -> str:
    """The message of a Gemini error body (or the start of a body that is not JSON)."""
    try:
        body = orjson.loads(raw)
    except ValueError:
        return raw[:200].decode("utf-8", "replace")
    return body_message(body)
