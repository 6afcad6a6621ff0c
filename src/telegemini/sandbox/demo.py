"""The demo model: an offline, clearly labelled stand-in for Gemini in the sandbox.

It is the fake Gemini server with a friendlier responder and real-looking media. Its answers
are deterministic (tests assert them exactly) and it remembers the conversation through the
``previous_interaction_id`` chain, as Gemini does. It speaks with espeak-ng when installed (a
tone otherwise) and draws the prompt on a gradient with Pillow.
"""

from __future__ import annotations

from collections.abc import Sequence

from telegemini.sandbox.demo_media import DemoMedia
from telegemini.sandbox.fake_gemini import (
    FakeGeminiServer,
    MediaBlock,
    RequestContext,
    ScriptedReply,
)
from telegemini.sandbox.fake_gemini.parsing import latest_user_turn

DEMO_LABEL = "Demo model (offline)"
DEMO_KEY = "demo"  # what the bot sends as its Gemini key to the demo server
DEMO_CHUNK_DELAY = 0.12  # seconds between streamed pieces, so drafts visibly grow
_REMEMBERED = 5  # earlier messages quoted back at most


def _kilobytes(size: int) -> str:
    return f"{max(1, round(size / 1024))} KB"


def _media_sentence(media: Sequence[MediaBlock]) -> str:
    audio = [m for m in media if m.kind == "audio" or m.mime_type.startswith(("audio/", "video/"))]
    images = [m for m in media if m.mime_type.startswith("image/")]
    parts: list[str] = []
    if audio:
        parts.append(f"a recording ({_kilobytes(sum(m.size for m in audio))})")
    if images:
        parts.append("a picture" if len(images) == 1 else f"{len(images)} pictures")
    if not parts:
        parts.append(f"{len(media)} attachment(s)")
    return (
        "I received "
        + " and ".join(parts)
        + ". The demo model cannot hear or see; with `GOOGLE_API_KEY` set, Gemini would."
    )


def _echo(latest: str) -> str:
    """What was said, quoted back: one line in italics; several (a table, a formula) as they
    were written, so the answer shows them rendered."""
    if "\n" in latest.strip():
        return f"You said:\n\n{latest.strip()}"
    return f"You said: *{latest}*"


def demo_reply_text(latest: str, earlier: Sequence[str], media: Sequence[MediaBlock] = ()) -> str:
    """The demo model's answer, in Markdown.

    The first message of a conversation gets an introduction; later ones quote back what was
    said before (the last few messages), which shows that memory works.
    """
    lines: list[str] = []
    if media:
        lines.append(_media_sentence(media))
    if latest or not media:
        lines.append(_echo(latest))
    if not earlier:
        lines.append(
            "I am the **demo model**: I work offline, repeat what you say and remember this "
            "conversation. Set `GOOGLE_API_KEY` to talk to Gemini."
        )
    else:
        remembered = [text for text in earlier if text][-_REMEMBERED:]
        if remembered:
            lines.append(
                "Earlier in this conversation:\n"
                + "\n".join(f"{number}. {text}" for number, text in enumerate(remembered, 1))
            )
    return "\n\n".join(lines)


def demo_responder(context: RequestContext) -> ScriptedReply:
    """The fake server's text responder in demo mode."""
    latest = latest_user_turn(context.turns)
    if latest is None:
        return ScriptedReply(text=demo_reply_text(context.text, []))
    user_turns = [turn for turn in context.turns if turn.role == "user"]
    earlier = [" ".join(t for t in turn.texts if t).strip() for turn in user_turns[:-1]]
    text = " ".join(t for t in latest.texts if t).strip()
    return ScriptedReply(text=demo_reply_text(text, earlier, latest.media))


def demo_server(
    *, chunk_delay: float = DEMO_CHUNK_DELAY, media: DemoMedia | None = None
) -> FakeGeminiServer:
    """The fake Gemini server set up as the demo model (not started)."""
    server = FakeGeminiServer(chunk_delay=chunk_delay, media=media or DemoMedia())
    server.script.responder = demo_responder
    return server
