"""The demo model: an offline, clearly labelled stand-in for Gemini in the sandbox.

It is the fake Gemini server with a friendlier responder and real-looking media. Its answers
are deterministic (tests assert them exactly) and it remembers the conversation through the
``previous_interaction_id`` chain, as Gemini does. It speaks with espeak-ng when installed (a
tone otherwise) and draws the prompt on a gradient with Pillow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from telegemini.sandbox.demo_media import DemoMedia
from telegemini.sandbox.demo_words import (
    PHRASES,
    detect_language,
    find_phrase,
    target_language,
    words,
)
from telegemini.sandbox.fake_gemini import (
    FakeGeminiServer,
    MediaBlock,
    RequestContext,
    ScriptedReply,
)
from telegemini.sandbox.fake_gemini.parsing import latest_user_turn
from telegemini.sandbox.fake_gemini.reading import document_reply

DEMO_LABEL = "Demo model (offline)"
DEMO_KEY = "demo"  # what the bot sends as its Gemini key to the demo server
DEMO_CHUNK_DELAY = 0.12  # seconds between streamed pieces, so drafts visibly grow
_REMEMBERED = 5  # earlier messages quoted back at most
# How the bot's system instructions for the two one-shot modes begin (core/modes.py).
TRANSCRIBING = "You are a transcription service."
TRANSLATING = "You are a translator."


def _kilobytes(size: int) -> str:
    return f"{max(1, round(size / 1024))} KB"


def _audio(media: Sequence[MediaBlock]) -> list[MediaBlock]:
    return [m for m in media if m.kind == "audio" or m.mime_type.startswith(("audio/", "video/"))]


def _media_sentence(media: Sequence[MediaBlock], said: dict[str, str]) -> str:
    audio = _audio(media)
    images = [m for m in media if m.mime_type.startswith("image/")]
    parts: list[str] = []
    if audio:
        parts.append(said["recording"].format(size=_kilobytes(sum(m.size for m in audio))))
    if images:
        parts.append(
            said["picture"] if len(images) == 1 else said["pictures"].format(n=len(images))
        )
    if not parts:
        parts.append(said["pictures"].format(n=len(media)))
    return said["received"].format(what=" + ".join(parts))


def _echo(latest: str, said: dict[str, str]) -> str:
    """What was said, quoted back: one line in italics; several (a table, a formula) as they
    were written, so the answer shows them rendered."""
    if "\n" in latest.strip():
        return said["you_said_block"].format(text=latest.strip())
    return said["you_said"].format(text=latest)


def demo_reply_text(
    latest: str,
    earlier: Sequence[str],
    media: Sequence[MediaBlock] = (),
    *,
    language: str = "en",
) -> str:
    """The demo model's answer in assistant mode, in Markdown, in ``language``.

    The first message of a conversation gets an introduction; later ones quote back what was
    said before (the last few messages), which shows that memory works.
    """
    said = words(language)
    lines: list[str] = []
    if media:
        lines.append(_media_sentence(media, said))
    if latest or not media:
        lines.append(_echo(latest, said))
    if not earlier:
        lines.append(said["intro"])
    else:
        remembered = [text for text in earlier if text][-_REMEMBERED:]
        if remembered:
            lines.append(
                said["earlier"]
                + "\n"
                + "\n".join(f"{number}. {text}" for number, text in enumerate(remembered, 1))
            )
    return "\n\n".join(lines)


def demo_transcript(media: Sequence[MediaBlock], language: str) -> str:
    """Transcription mode: a transcript as Gemini lays it out (the language, then the words),
    saying that the demo model cannot hear."""
    audio = _audio(media) or list(media)
    size = _kilobytes(sum(m.size for m in audio))
    name = {"en": "English", "es": "Spanish", "ru": "Russian"}.get(language, "Chinese")
    return f"Language: {name}\n\n{words(language)['transcript'].format(size=size)}"


def demo_translation(text: str, target: str | None, language: str) -> str:
    """Translation mode: a phrase from the built-in list in the target language, marked as a
    demo; anything else gets the list of phrases it knows (in the user's language)."""
    phrase = find_phrase(text) if text else None
    said = words(language)
    if phrase is not None and target is not None:
        return f"{phrase[target]}\n\n{words(target)['translated']}"
    known = " · ".join(p.get(language, p["en"]) for p in PHRASES)
    return said["unknown_phrase"].format(phrases=known)


class DemoResponder:
    """The fake server's text responder in demo mode: each mode answered as Gemini would, in
    the language the user writes in (else the language of ``fallback_language()``, the
    simulated user who wrote last)."""

    def __init__(self, fallback_language: Callable[[], str | None] | None = None) -> None:
        self._fallback = fallback_language or (lambda: None)

    def language_of(self, *texts: str) -> str:
        for text in texts:
            found = detect_language(text)
            if found is not None:
                return found
        return self._fallback() or "en"

    def __call__(self, context: RequestContext) -> ScriptedReply:
        latest = latest_user_turn(context.turns)
        instruction = context.system_instruction or ""
        if latest is None:
            return ScriptedReply(text=demo_reply_text(context.text, []))
        user_turns = [turn for turn in context.turns if turn.role == "user"]
        earlier = [" ".join(t for t in turn.texts if t).strip() for turn in user_turns[:-1]]
        text = " ".join(t for t in latest.texts if t).strip()
        language = self.language_of(text, *reversed(earlier))
        if instruction.startswith(TRANSCRIBING):
            return ScriptedReply(text=demo_transcript(latest.media, language))
        if instruction.startswith(TRANSLATING):
            target = target_language(instruction)
            return ScriptedReply(text=demo_translation(text, target, language))
        about_file = document_reply(context.turns, context.text)  # a file, or a page asked about
        if about_file is not None:
            return ScriptedReply(text=f"{about_file}\n\n{words(language)['file_note']}")
        return ScriptedReply(text=demo_reply_text(text, earlier, latest.media, language=language))

    def after_tools(self, context: RequestContext, results: list[str]) -> str:
        """The words after the image tool ran: a short line, as Gemini says (never the tool's
        own report)."""
        said = [
            " ".join(t for t in turn.texts if t) for turn in context.turns if turn.role == "user"
        ]
        return words(self.language_of(*reversed(said)))["picture_done"]


def demo_responder(context: RequestContext) -> ScriptedReply:
    """A demo responder with no simulated users behind it (tests, tools)."""
    return DemoResponder()(context)


def demo_server(
    *,
    chunk_delay: float = DEMO_CHUNK_DELAY,
    media: DemoMedia | None = None,
    fallback_language: Callable[[], str | None] | None = None,
) -> FakeGeminiServer:
    """The fake Gemini server set up as the demo model (not started)."""
    server = FakeGeminiServer(chunk_delay=chunk_delay, media=media or DemoMedia())
    responder = DemoResponder(fallback_language)
    server.script.responder = responder
    server.script.after_tools = responder.after_tools
    return server
