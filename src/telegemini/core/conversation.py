"""One message in the user's mode: assistant (with memory and an image tool), transcription,
translation or image; voice replies; all of it moderated, throttled and billed first."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from telegemini.core import modes
from telegemini.core.chat import ChatService
from telegemini.core.documents import DocumentReader, has_url, is_document, label
from telegemini.core.guards import Guard, QuotaExceeded, UserPayer
from telegemini.core.i18n import Translator
from telegemini.core.images import ImageService, kind_of, split_ratio
from telegemini.core.models import (
    ASPECT_RATIOS,
    Attachment,
    AttachmentKind,
    ChatKey,
    ImageJob,
    IncomingMessage,
    Mode,
    Part,
    Preferences,
    Reply,
    TextPart,
    ToolCall,
    ToolResult,
    ToolSpec,
    UserRecord,
)
from telegemini.core.moderation import Blocklist
from telegemini.core.ports import ChatOutput, Store
from telegemini.core.preferences import Effective
from telegemini.core.sources import SearchLabels
from telegemini.core.voice import VoiceService, is_audio
from telegemini.errors import ReadingOff, UnsupportedMedia, UserFacingError

if TYPE_CHECKING:
    from telegemini.core.video_desk import VideoDesk

log = logging.getLogger(__name__)


class PromptBlocked(UserFacingError):
    """The operator's blocklist matched; the prompt never reaches the model."""

    message_key = "moderation.blocked"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking, in what language, with which settings, and where answers go."""

    user: UserRecord
    prefs: Preferences
    effective: Effective
    out: ChatOutput
    t: Translator


@dataclass(frozen=True, slots=True)
class ConversationConfig:
    custom_instruction: str | None = None  # the operator's SYSTEM_PROMPT
    autoban_after: int = 0  # blocked prompts a day before an automatic ban (0: never)


class Conversation:
    def __init__(
        self,
        chat: ChatService,
        store: Store,
        voice: VoiceService,
        images: ImageService,
        guard: Guard,
        blocklist: Blocklist,
        config: ConversationConfig | None = None,
        documents: DocumentReader | None = None,
    ) -> None:
        self._documents = documents  # None: no file is read
        self._chat = chat
        self._store = store
        self._voice = voice
        self.images = images
        self.videos: VideoDesk | None = None  # /video and 🎬 Animate, when wired
        self._guard = guard
        self._blocklist = blocklist
        self._config = config or ConversationConfig()

    # --- checks before any billable call -----------------------------------------------------

    async def moderate(self, caller: Caller, *texts: str) -> None:
        """Refuse a prompt the blocklist matches; count it, and ban after too many."""
        if self._blocklist.check(*texts) is None:
            return
        await self.count_violation(caller.user)
        raise PromptBlocked("blocklist")

    async def count_violation(self, user: UserRecord) -> None:
        count = await self._store.count(self._guard.day(), user.id, "moderation")
        limit = self._config.autoban_after
        if limit and count >= limit and not self._guard.is_admin(user.id):
            log.warning("user %s banned automatically after %d violations", user.id, count)
            await self._store.save_user(replace(user, banned=True))

    # --- a message ----------------------------------------------------------------------------

    async def stop(self, key: ChatKey) -> bool:
        return await self._chat.stop(key)

    async def handle(self, message: IncomingMessage, caller: Caller) -> None:
        audio = next((a for a in message.attachments if is_audio(a)), None)
        photos = tuple(a for a in message.attachments if a.kind is AttachmentKind.PHOTO)
        documents = tuple(a for a in message.attachments if is_document(a) and not is_audio(a))
        mode = caller.prefs.mode
        if message.unsupported and audio is None and not photos and not message.parts:
            raise UnsupportedMedia(f"update {message.update_id}")
        replied_photo = any(p.from_reply for p in photos)
        if mode is Mode.IMAGE and audio is not None and not message.text.strip():
            await self.image_request(message, caller, await self._heard(audio, caller), photos)
            return
        if (mode is Mode.IMAGE and audio is None) or (replied_photo and message.text.strip()):
            await self.image_request(message, caller, message.text, photos)
            return
        if mode is Mode.TRANSCRIPTION and audio is None:
            await caller.out.send(Reply(caller.t("mode.transcription_needs_audio"), markdown=False))
            return
        if (
            mode in (Mode.TRANSCRIPTION, Mode.TRANSLATION)
            and photos
            and audio is None
            and not message.text.strip()
        ):
            raise UnsupportedMedia("a photo in a text mode")
        if documents:
            self._check_documents(documents, caller)
        await self.moderate(caller, message.text)
        await self._guard.throttle(caller.user, "messages")
        async with self._guard.billed(caller.user, "messages"):  # a document is one message too
            answer = await self._answer(message, caller, audio, photos, documents)
        if answer and caller.effective.voice_replies and mode is not Mode.TRANSCRIPTION:
            await self._speak(answer, caller)

    async def _answer(
        self,
        message: IncomingMessage,
        caller: Caller,
        audio: Attachment | None,
        photos: tuple[Attachment, ...],
        documents: tuple[Attachment, ...] = (),
    ) -> str:
        mode = caller.prefs.mode
        parts: list[Part] = list(message.parts)
        if message.text.strip() and mode is not Mode.TRANSCRIPTION:
            parts.insert(0, TextPart(message.text))
        if audio is not None:
            parts.append(await self._voice.listen(audio))
        if mode is Mode.ASSISTANT:
            parts.extend([await self.images.look_at(photo) for photo in photos])
        if documents and self._documents is not None and mode is not Mode.TRANSCRIPTION:
            if not message.text.strip() and mode is Mode.ASSISTANT:
                parts.append(TextPart(modes.ABOUT_DOCUMENT))
            parts.extend([await self._documents.read(document) for document in documents])
        if not parts:
            parts = [TextPart(message.text)]
        if mode is Mode.TRANSCRIPTION:
            await self._chat.one_shot(parts, caller.out, instruction=modes.TRANSCRIPTION)
            return ""
        if mode is Mode.TRANSLATION:
            instruction = modes.instruction(
                Mode.TRANSLATION, target_language=caller.prefs.target_language
            )
            return await self._chat.one_shot(parts, caller.out, instruction=instruction)
        instruction = modes.instruction(
            Mode.ASSISTANT,
            expressive=caller.prefs.expressive and caller.effective.voice_replies,
            custom_assistant=self._config.custom_instruction,
            documents=caller.effective.documents,
        )
        label_key = "transcript.voice_message" if audio is not None else "transcript.photo"
        transcript = message.text.strip() or caller.t(label_key)
        if documents:  # "📄 report.pdf", so a chain seeded from the transcript knows of it
            transcript = "\n".join([*(label(d) for d in documents), message.text.strip()]).strip()
        reads_pages = caller.effective.url_context and has_url(message.text)
        return await self._chat.answer(
            message.key,
            parts,
            caller.out,
            instruction=instruction,
            transcript_text=transcript,
            pages=caller.t("search.pages") if reads_pages else None,
            tools=ImageTool(self, message, caller, photos),
            search=(
                SearchLabels(caller.t("search.searching"), caller.t("search.sources"))
                if caller.effective.search
                else None
            ),
            stopped_note=caller.t("answer.stopped"),
            thinking_label=caller.t("answer.thinking") if caller.prefs.show_thinking else None,
        )

    async def _heard(self, audio: Attachment, caller: Caller) -> str:
        """A voice note in image mode: the picture it describes, as an image prompt (the chat
        model transcribes and condenses it; the prompt shows in the picture's caption)."""
        await self._guard.throttle(caller.user, "messages")
        async with self._guard.billed(caller.user, "messages"):
            parts: list[Part] = [await self._voice.listen(audio)]
            instruction = modes.IMAGE_PROMPT_FROM_VOICE
            heard = await self._chat.one_shot(
                parts, caller.out, instruction=instruction, send=False
            )
        return " ".join(heard.split())

    def _check_documents(self, documents: tuple[Attachment, ...], caller: Caller) -> None:
        """Files are refused before any download or charge: where files are not read (the
        operator's DOCUMENTS_ENABLED, the user's /settings), a kind the model cannot read, or a
        file over the limits."""
        if caller.prefs.mode not in (Mode.ASSISTANT, Mode.TRANSLATION):
            return  # transcription and image modes answer without them, as they say
        if self._documents is None or not caller.effective.documents:
            raise ReadingOff("documents", by_user=caller.prefs.reading is False)
        self._documents.check_all(documents)

    async def _speak(self, answer: str, caller: Caller) -> None:
        try:
            bill = await self._guard.charge(caller.user, "voice")
        except QuotaExceeded:
            notice = Reply(caller.t("quota.voice_used_up"), markdown=False, private=True)
            await caller.out.send(notice)
            return
        spoken = await self._voice.speak(
            answer, voice=caller.effective.voice, out=caller.out, t=caller.t
        )
        if not spoken:
            await bill.refund()

    # --- images -------------------------------------------------------------------------------

    async def image_request(
        self,
        message: IncomingMessage,
        caller: Caller,
        text: str,
        photos: tuple[Attachment, ...],
        *,
        size: str | None = None,
        batch: bool = False,
        usage_key: str = "image.usage",
    ) -> None:
        """A picture from ``text`` (an optional leading ratio) and the ``photos`` as references."""
        ratio, prompt = split_ratio(text)
        if not prompt:
            key = "image.photo_needs_caption" if photos else usage_key
            await caller.out.send(Reply(caller.t(key), markdown=False))
            return
        job = self.images.new_job(
            chat_id=message.chat.id,
            user_id=message.user.id,
            prompt=prompt,
            aspect_ratio=ratio,
            references=photos,
            **({"size": size} if size else {}),
        )
        await self.make_image(job, caller, batch=batch)

    async def make_image(
        self, job: ImageJob, caller: Caller, *, batch: bool = False, fresh: bool = False
    ) -> None:
        """Moderated, throttled, one at a time per user, and billed per image delivered."""
        await self.moderate(caller, job.prompt)
        kind = kind_of(job)
        await self._guard.throttle(caller.user, kind)
        payer = UserPayer(self._guard, caller.user)
        async with self._guard.one_at_a_time(caller.user, "images"):
            if batch:
                await self.images.create_batch(job, caller.out, caller.t, payer=payer)
            else:
                await self.images.create(job, caller.out, caller.t, fresh=fresh, payer=payer)


class ImageTool:
    """``generate_image`` for the chat model, so "draw me a fox in the snow" needs no command."""

    def __init__(
        self,
        conversation: Conversation,
        message: IncomingMessage,
        caller: Caller,
        photos: tuple[Attachment, ...],
    ) -> None:
        self._conversation = conversation
        self._message = message
        self._caller = caller
        self._photos = photos

    @property
    def specs(self) -> list[ToolSpec]:
        return [IMAGE_TOOL]

    async def run(self, call: ToolCall) -> ToolResult:
        if call.name != IMAGE_TOOL.name:
            return ToolResult(call.call_id, call.name, f"There is no function {call.name}.")
        ratio = call.arguments.get("aspect_ratio")
        use_photos = call.arguments.get("use_attached_photos", True) is not False
        caller = self._caller
        try:
            job = self._conversation.images.new_job(
                chat_id=self._message.chat.id,
                user_id=self._message.user.id,
                prompt=str(call.arguments.get("prompt") or "").strip(),
                aspect_ratio=ratio if isinstance(ratio, str) and ratio in ASPECT_RATIOS else None,
                references=self._photos if use_photos else (),
            )
            await self._conversation.make_image(job, caller)
        except UserFacingError as exc:
            await caller.out.send(Reply(error_text(exc, caller.t), markdown=False))
            return ToolResult(
                call.call_id,
                call.name,
                "The picture could not be made and the user has been told why; "
                "do not repeat the explanation.",
            )
        return ToolResult(
            call.call_id, call.name, "The picture was made and is now shown to the user."
        )


IMAGE_TOOL = ToolSpec(
    name="generate_image",
    description=(
        "Create a picture with the image model and show it to the user, or edit the photos "
        "the user attached. Use it whenever the user asks for a drawing, picture, "
        "illustration, poster or a change to their photo."
    ),
    parameters={
        "type": "object",
        "properties": {
            "prompt": {
                "type": "string",
                "description": "A detailed description of the picture to make.",
            },
            "aspect_ratio": {"type": "string", "enum": list(ASPECT_RATIOS)},
            "use_attached_photos": {
                "type": "boolean",
                "description": "Use the photos in the user's message as references.",
            },
        },
        "required": ["prompt"],
    },
)


def error_reference() -> str:
    """A short id that ties what a user saw to the log line with the traceback."""
    return secrets.token_hex(3)


def error_text(exc: UserFacingError, t: Translator, ref: str | None = None) -> str:
    return t(exc.message_key, ref=ref or error_reference(), **exc.message_args())
