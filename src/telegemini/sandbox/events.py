"""Live updates for the chat page: the fake Bot API's events as JSON over Server-Sent Events.

``EventHub.publish`` is subscribed to ``FakeTelegramServer`` and fans every event the page cares
about (messages, edits, deletions, chat actions, drafts and their Stop button, ephemeral
messages, reactions, callback answers, a new command menu) out to each connected page. A page
that falls too far behind is dropped; its ``EventSource`` reconnects and reloads the state.

A rich draft (``sendRichMessageDraft``) is recorded with the ``InputRichMessage`` as the bot
sent it; the page gets its blocks, converted as the fake converts a sent rich message, so it
draws drafts and messages with one renderer.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import web

from telegemini.sandbox.fake_telegram import ChatAction, Draft, FakeEvent, RecordedCall
from telegemini.sandbox.fake_telegram.rich_html import html_blocks
from telegemini.sandbox.fake_telegram.rich_markdown import Block, markdown_blocks

log = logging.getLogger(__name__)

HEARTBEAT = 15.0  # seconds between keep-alive comments, so a dead connection is noticed
_BACKLOG = 2000  # events a slow page may have pending before it is dropped


def _no_media(url: str, alt: str, caption: str | None) -> Block | None:
    return None  # a draft's media line stays a link: the page has no file for it yet


def draft_blocks(rich: dict[str, Any] | None) -> list[Block] | None:
    """The blocks of a rich draft's ``InputRichMessage`` (None for a text draft)."""
    if not rich:
        return None
    try:
        if isinstance(rich.get("blocks"), list):
            return [block for block in rich["blocks"] if isinstance(block, dict)]
        if isinstance(rich.get("markdown"), str):
            return markdown_blocks(rich["markdown"], _no_media)[0]
        if isinstance(rich.get("html"), str):
            return html_blocks(rich["html"], _no_media)[0]
    except Exception:  # the fake accepted it: a conversion fault must not end the stream
        log.exception("could not convert a rich draft for the page")
    return None


def draft_json(draft: Draft) -> dict[str, Any]:
    """A draft as the page draws it: text (a plain flattening for rich ones), blocks, Stop."""
    return {
        "type": "draft",
        "chat_id": draft.chat_id,
        "draft_id": draft.draft_id,
        "text": draft.text,
        "entities": draft.entities,
        "blocks": draft_blocks(draft.rich),
        "can_stop": draft.can_stop,
    }


def event_json(event: FakeEvent) -> dict[str, Any] | None:
    """What the page needs to know about one event, or None when it does not care."""
    kind, chat_id, payload = event.kind, event.chat_id, event.payload
    if kind in ("message", "edit", "ephemeral", "ephemeral_edit"):
        return {"type": kind, "chat_id": chat_id, "message": payload}
    if kind == "delete":
        return {"type": "delete", "chat_id": chat_id, "message_id": payload["message_id"]}
    if kind == "ephemeral_delete":
        return {"type": "ephemeral_delete", "chat_id": chat_id, **payload}
    if kind == "chat_action" and isinstance(payload, ChatAction):
        return {"type": "chat_action", "chat_id": payload.chat_id, "action": payload.action}
    if kind == "draft" and isinstance(payload, Draft):
        return draft_json(payload)
    if kind == "stop" and isinstance(payload, Draft):
        return {
            "type": "draft_stop",
            "chat_id": payload.chat_id,
            "draft_id": payload.draft_id,
            "keep_on_stop": payload.keep_on_stop,
        }
    if kind == "reaction":
        return {"type": "reaction", "chat_id": chat_id, **payload}
    if kind == "callback_answer":
        return {
            "type": "callback_answer",
            "chat_id": chat_id,
            "text": payload.get("text") or "",
            "show_alert": bool(payload.get("show_alert")),
        }
    menu_methods = ("setmycommands", "deletemycommands")
    if isinstance(payload, RecordedCall) and payload.ok and payload.method.lower() in menu_methods:
        return {"type": "commands"}
    return None


def sse_frame(data: dict[str, Any]) -> bytes:
    """One Server-Sent Events message carrying ``data`` as JSON."""
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


class EventHub:
    """Connected pages and the events waiting for each."""

    def __init__(self, *, heartbeat: float = HEARTBEAT) -> None:
        self._clients: set[asyncio.Queue[bytes | None]] = set()
        self._heartbeat = heartbeat
        self._closed = False

    @property
    def clients(self) -> int:
        """Pages connected now."""
        return len(self._clients)

    def publish(self, event: FakeEvent) -> None:
        """Queue an event for every page (a ``FakeTelegramServer.subscribe`` callback)."""
        data = event_json(event)
        if data is None:
            return
        frame = sse_frame(data)
        for queue in list(self._clients):
            if queue.qsize() >= _BACKLOG:
                log.warning("a sandbox page fell behind; dropping it (it will reconnect)")
                self._end(queue)
            else:
                queue.put_nowait(frame)

    def _end(self, queue: asyncio.Queue[bytes | None]) -> None:
        self._clients.discard(queue)
        queue.put_nowait(None)  # the queues are unbounded: the end mark always fits

    def close(self) -> None:
        """End every stream (at shutdown); later connections end at once."""
        self._closed = True
        for queue in list(self._clients):
            self._end(queue)

    async def stream(self, request: web.Request) -> web.StreamResponse:
        """``GET /sim/events``: the event stream; its first message is ``{"type": "hello"}``."""
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        if self._closed:
            return response
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._clients.add(queue)
        try:
            await response.write(b"retry: 1000\n\n" + sse_frame({"type": "hello"}))
            while True:
                try:
                    frame = await asyncio.wait_for(queue.get(), self._heartbeat)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if frame is None:
                    break
                await response.write(frame)
        except (ConnectionResetError, ConnectionError):
            pass  # the page went away
        finally:
            self._clients.discard(queue)
        return response
