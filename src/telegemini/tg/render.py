"""``ChatOutput`` on Telegram: chat actions, streamed drafts, formatted and split replies."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from html import escape
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramNotFound,
)
from aiogram.types import (
    BufferedInputFile,
    EphemeralMessageParameters,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    InputRichMessage,
    MessageEntity,
    ReplyParameters,
)

from telegemini.core.models import (
    Activity,
    Button,
    ChatRef,
    OutgoingPhoto,
    OutgoingVideo,
    Reply,
    VoiceNote,
)
from telegemini.tg.bot import SendMessageForId, send_message_for_id
from telegemini.tg.callbacks import pack
from telegemini.tg.delivery import reachable
from telegemini.tg.feedback import EarlyTyping, Shown, finish_within
from telegemini.tg.formatting import Chunk, Entity, render_markdown, render_plain
from telegemini.tg.rich import RichMessages, rich_chunks

log = logging.getLogger(__name__)

# A chat action shows for about 5 s or until the next message; refresh a little before.
ACTION_REFRESH = 4.0
# How long a reply waits for a chat action already on its way; a slower one is left to finish.
ACTION_GRACE = 1.0


def _is_entity_error(error: TelegramBadRequest) -> bool:
    message = error.message.lower()
    return "entit" in message or "parse" in message


def _entities(entities: Sequence[Entity]) -> list[MessageEntity] | None:
    if not entities:
        return None
    return [
        MessageEntity(type=e.type, offset=e.offset, length=e.length, url=e.url, language=e.language)
        for e in entities
    ]


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    """Until ``stop`` is set or ``seconds`` have passed (in this task: ``wait_for`` would make
    one more task per wait)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await stop.wait()


def _keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    return _keyboard_of(reply.buttons)


class TelegramChatOutput:
    """Sends the answers to one incoming message."""

    def __init__(
        self,
        bot: Bot,
        chat: ChatRef,
        *,
        thread_id: int | None = None,
        reply_to_message_id: int | None = None,
        draft_id: int = 1,
        callback_query_id: str | None = None,
        early: EarlyTyping | None = None,
        rich: RichMessages | None = None,
        user_id: int | None = None,
    ) -> None:
        self._bot = bot
        self._rich = rich
        self._user_id = user_id  # who wrote or pressed: the receiver of private notices
        self._early = early
        self._shown: Shown | None = None
        self._chat = chat
        self._thread_id = thread_id
        # In groups, answers quote the message they answer so the thread stays readable.
        self._reply_to = None if chat.is_private else reply_to_message_id
        self._draft_id = draft_id or 1
        self._callback_query_id = callback_query_id
        self.sent_message_ids: list[int] = []

    @property
    def can_stream(self) -> bool:
        return self._chat.is_private

    @property
    def draft_id(self) -> int | None:
        return self._draft_id if self.can_stream else None

    @contextlib.asynccontextmanager
    async def activity(self, kind: Activity) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(self._show(kind, stop), name=f"chat-action-{self._chat.id}")
        try:
            yield
        finally:
            # Stopped between requests, not cancelled in one: the reply then follows the last
            # chat action instead of racing it (an action landing after the reply would show
            # "typing…" under the answer for five seconds).
            stop.set()
            await self._early_settled()
            await finish_within(task, ACTION_GRACE)

    def _early_shown(self) -> Shown | None:
        """The "typing…" shown when the message came in, taken on first use."""
        if self._early is not None:
            self._shown = self._early.take(self._chat.id)
            self._early = None
        return self._shown

    async def _early_settled(self) -> None:
        shown = self._early_shown()
        if shown is not None:
            await shown.settled(ACTION_GRACE)

    async def _show(self, kind: Activity, stop: asyncio.Event) -> None:
        shown = self._early_shown()
        if kind is Activity.TYPING and shown is not None and shown.age < ACTION_REFRESH:
            # Already "typing…" since the message came in: carry on from there.
            await _wait(stop, ACTION_REFRESH - shown.age)
        while not stop.is_set():
            try:
                await self._bot.send_chat_action(
                    chat_id=self._chat.id, action=kind.value, message_thread_id=self._thread_id
                )
            except TelegramAPIError as exc:
                log.debug("chat action failed in %s: %s", self._chat.id, exc)
            await _wait(stop, ACTION_REFRESH)

    async def draft(self, text: str, *, thinking: str = "") -> None:
        if not self.can_stream:
            return
        try:
            if self._rich is not None and self._rich.available:
                # A thinking block, allowed in drafts only, shows what the model is thinking.
                shown = (
                    f"<tg-thinking>{escape(thinking)}</tg-thinking>\n\n{text}" if thinking else text
                )
                try:
                    await self._bot.send_rich_message_draft(
                        chat_id=self._chat.id,
                        draft_id=self._draft_id,
                        rich_message=InputRichMessage(markdown=shown),
                        message_thread_id=self._thread_id,
                        can_stop=True,  # the Stop button: stopped_message_generation
                    )
                    return
                except TelegramNotFound as exc:
                    self._rich.missing(exc.message)
            await self._bot.send_message_draft(
                chat_id=self._chat.id,
                draft_id=self._draft_id,
                text=text or "💭",
                message_thread_id=self._thread_id,
                can_stop=True,
            )
        except TelegramAPIError as exc:
            # A draft is a cosmetic preview (a half-written table may not parse yet); the final
            # message is what matters.
            log.debug("draft failed in %s: %s", self._chat.id, exc)

    @reachable
    async def send(self, reply: Reply) -> None:
        await self._early_settled()
        if reply.private and await self._send_privately(reply):
            return
        keyboard = _keyboard(reply)
        markdown = reply.text
        quote = True
        if reply.markdown and self._rich is not None and self._rich.available:
            before = len(self.sent_message_ids)
            if reply.thinking:  # collapsed above the answer (thinking blocks are drafts' only)
                label = escape(reply.thinking_label or "💭")
                thinking = f"<details><summary>{label}</summary>\n\n{reply.thinking}\n\n</details>"
                markdown = f"{thinking}\n\n{markdown}"
            unsent = await self._send_rich(markdown, keyboard)
            if not unsent:
                return
            quote = len(self.sent_message_ids) == before  # the answer's start quotes, once
            # The rest as formatted text (all of it, without the thinking, if nothing went out).
            markdown = reply.text if quote else "\n\n".join(unsent)
        chunks = render_markdown(markdown) if reply.markdown else render_plain(markdown)
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            await self._send_chunk(chunk, keyboard if last else None, quote=quote and index == 0)

    async def _send_privately(self, reply: Reply) -> bool:
        """A notice for one person in a group, shown to them alone (an ephemeral message,
        Bot API 10.2). False where Telegram will not (the bot is no admin there and the notice
        answers no button press, or the server predates them): then it goes out as a reply."""
        if self._chat.is_private or self._user_id is None:
            return False
        chunk = (render_markdown(reply.text) if reply.markdown else render_plain(reply.text))[0]
        try:
            message = await self._bot.send_message(
                chat_id=self._chat.id,
                text=chunk.text,
                entities=_entities(chunk.entities),
                message_thread_id=self._thread_id,
                reply_markup=_keyboard(reply),
                ephemeral_message_parameters=EphemeralMessageParameters(
                    receiver_user_id=self._user_id, callback_query_id=self._callback_query_id
                ),
            )
        except TelegramBadRequest as exc:
            log.debug("private notice refused in chat %s (%s)", self._chat.id, exc.message)
            return False
        self.sent_message_ids.append(message.message_id)
        return True

    async def _send_rich(self, markdown: str, keyboard: InlineKeyboardMarkup | None) -> list[str]:
        """Send as rich messages; what could not be sent that way (every piece after a refusal)
        is returned, for the formatted-text path."""
        assert self._rich is not None
        chunks = rich_chunks(markdown)
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            try:
                message = await self._bot.send_rich_message(
                    chat_id=self._chat.id,
                    rich_message=InputRichMessage(markdown=chunk),
                    message_thread_id=self._thread_id,
                    reply_markup=keyboard if last else None,
                    reply_parameters=self._quote() if index == 0 else None,
                )
            except TelegramNotFound as exc:
                self._rich.missing(exc.message)
                return chunks[index:]
            except TelegramBadRequest as exc:
                # Refused (a parse error, a limit we did not foresee): this answer goes out as
                # formatted text; the next one is tried as rich again.
                log.warning("rich message refused in chat %s (%s)", self._chat.id, exc.message)
                return chunks[index:]
            self.sent_message_ids.append(message.message_id)
        return []

    async def _send_chunk(
        self, chunk: Chunk, keyboard: InlineKeyboardMarkup | None, *, quote: bool
    ) -> None:
        reply_parameters = self._quote() if quote else None
        try:
            message_id = await send_message_for_id(
                self._bot,
                SendMessageForId(
                    chat_id=self._chat.id,
                    text=chunk.text,
                    entities=_entities(chunk.entities),
                    message_thread_id=self._thread_id,
                    reply_markup=keyboard,
                    reply_parameters=reply_parameters,
                ),
            )
        except TelegramBadRequest as exc:
            if not chunk.entities or not _is_entity_error(exc):
                raise
            # Telegram refused the formatting: the words matter more than the styling.
            log.warning(
                "formatting refused in chat %s (%s); sending plain text", self._chat.id, exc
            )
            message_id = await send_message_for_id(
                self._bot,
                SendMessageForId(
                    chat_id=self._chat.id,
                    text=chunk.text,
                    message_thread_id=self._thread_id,
                    reply_markup=keyboard,
                    reply_parameters=reply_parameters,
                ),
            )
        self.sent_message_ids.append(message_id)

    @reachable
    async def send_voice(self, note: VoiceNote) -> None:
        await self._early_settled()
        message = await self._bot.send_voice(
            chat_id=self._chat.id,
            voice=BufferedInputFile(note.data, filename="reply.ogg"),
            duration=max(1, round(note.duration)),
            message_thread_id=self._thread_id,
        )
        self.sent_message_ids.append(message.message_id)

    @reachable
    async def edit(self, message_id: int, reply: Reply) -> None:
        chunk = (render_markdown(reply.text) if reply.markdown else render_plain(reply.text))[0]
        try:
            await self._bot.edit_message_text(
                text=chunk.text,
                chat_id=self._chat.id,
                message_id=message_id,
                entities=_entities(chunk.entities),
                reply_markup=_keyboard(reply),
            )
        except TelegramBadRequest as exc:
            if "not modified" not in exc.message.lower():
                raise

    async def answer_callback(self, text: str | None = None) -> None:
        if self._callback_query_id is None:
            return
        query_id, self._callback_query_id = self._callback_query_id, None  # answer once
        try:
            await self._bot.answer_callback_query(callback_query_id=query_id, text=text)
        except TelegramBadRequest as exc:
            log.debug("callback answer refused: %s", exc)  # too old: the edit already shows it

    @reachable
    async def send_status(self, text: str) -> int:
        await self._early_settled()
        message = await self._bot.send_message(
            chat_id=self._chat.id,
            text=text,
            message_thread_id=self._thread_id,
            reply_parameters=self._quote(),
        )
        return message.message_id

    async def delete(self, message_id: int) -> None:
        try:
            await self._bot.delete_message(chat_id=self._chat.id, message_id=message_id)
        except TelegramBadRequest as exc:
            log.debug("could not delete message %s: %s", message_id, exc)

    @reachable
    async def send_photo(self, photo: OutgoingPhoto) -> str:
        await self._early_settled()
        message = await self._bot.send_photo(
            chat_id=self._chat.id,
            photo=_media(photo, "image.jpg"),
            caption=photo.caption or None,
            reply_markup=_keyboard_of(photo.buttons),
            message_thread_id=self._thread_id,
            reply_parameters=self._quote(),
        )
        self.sent_message_ids.append(message.message_id)
        return message.photo[-1].file_id if message.photo else photo.file_id or ""

    @reachable
    async def send_video(self, video: OutgoingVideo) -> None:
        """An MP4 the player shows at its own ratio (``width``/``height``), streamable."""
        await self._early_settled()
        message = await self._bot.send_video(
            chat_id=self._chat.id,
            video=BufferedInputFile(video.data, filename="clip.mp4"),
            duration=max(1, round(video.duration)),
            width=video.width,
            height=video.height,
            caption=video.caption or None,
            supports_streaming=True,
            message_thread_id=self._thread_id,
            reply_parameters=self._quote(),
        )
        self.sent_message_ids.append(message.message_id)

    @reachable
    async def send_document(self, data: bytes, *, filename: str, caption: str = "") -> None:
        await self._early_settled()
        message = await self._bot.send_document(
            chat_id=self._chat.id,
            document=BufferedInputFile(data, filename=filename),
            caption=caption or None,
            message_thread_id=self._thread_id,
        )
        self.sent_message_ids.append(message.message_id)

    @reachable
    async def send_album(self, photos: list[OutgoingPhoto]) -> list[str]:
        await self._early_settled()
        media: list[Any] = [
            InputMediaPhoto(media=_media(p, f"image-{i}.jpg"), caption=p.caption or None)
            for i, p in enumerate(photos, start=1)
        ]
        messages = await self._bot.send_media_group(
            chat_id=self._chat.id, media=media, message_thread_id=self._thread_id
        )
        self.sent_message_ids.extend(m.message_id for m in messages)
        return [m.photo[-1].file_id for m in messages if m.photo]

    def _quote(self) -> ReplyParameters | None:
        if not self._reply_to:
            return None
        return ReplyParameters(message_id=self._reply_to, allow_sending_without_reply=True)


def _media(photo: OutgoingPhoto, filename: str) -> BufferedInputFile | str:
    if photo.data is not None:
        # aiogram sends an upload as its own multipart part, referenced as attach://…
        return BufferedInputFile(photo.data, filename=filename)
    assert photo.file_id is not None
    return photo.file_id


def _keyboard_of(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=b.label, callback_data=pack(b.action)) for b in row]
            for row in rows
        ]
    )
