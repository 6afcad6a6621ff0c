"""The bot's front desk: routes an incoming message to a command or to the conversation in the
user's mode, handles button presses, and turns every failure into a message in the user's
language."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, replace

from telegemini.core import modes
from telegemini.core.chat import ChatService
from telegemini.core.i18n import Translator, resolve_language
from telegemini.core.images import HD, STANDARD, ImageService, split_ratio
from telegemini.core.models import (
    ASPECT_RATIOS,
    Attachment,
    AttachmentKind,
    IncomingCallback,
    IncomingMessage,
    Mode,
    Part,
    Preferences,
    Reply,
    TextPart,
    ToolCall,
    ToolResult,
    ToolSpec,
    UserRef,
)
from telegemini.core.ports import ChatOutput, Store
from telegemini.core.preferences import Effective, PreferenceScreens
from telegemini.core.voice import VoiceService, is_audio
from telegemini.errors import UnsupportedMedia, UserFacingError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CommandInfo:
    name: str
    description_key: str


# The public command menu, in display order (descriptions come from the catalog).
PUBLIC_COMMANDS: tuple[CommandInfo, ...] = (
    CommandInfo("start", "commands.start"),
    CommandInfo("help", "commands.help"),
    CommandInfo("reset", "commands.reset"),
    CommandInfo("new", "commands.new"),
    CommandInfo("mode", "commands.mode"),
    CommandInfo("voice", "commands.voice"),
    CommandInfo("language", "commands.language"),
    CommandInfo("lang", "commands.lang"),
    CommandInfo("settings", "commands.settings"),
    CommandInfo("image", "commands.image"),
    CommandInfo("hd", "commands.hd"),
    CommandInfo("batch", "commands.batch"),
)
IMAGE_COMMANDS = {
    "image": STANDARD,
    "generate": STANDARD,
    "draw": STANDARD,
    "hd": HD,
    "batch": STANDARD,
}


@dataclass(frozen=True, slots=True)
class AssistantConfig:
    voice_replies_default: bool = True
    default_voice: str = "Kore"
    custom_instruction: str | None = None  # the operator's SYSTEM_PROMPT


def command_list(t: Translator) -> str:
    return "\n".join(f"/{c.name} — {t(c.description_key)}" for c in PUBLIC_COMMANDS)


def error_reference() -> str:
    """A short id that ties what a user saw to the log line with the traceback."""
    return secrets.token_hex(3)


def _translator(prefs: Preferences, user: UserRef) -> Translator:
    return Translator(prefs.ui_language or resolve_language(user.language_code))


class Assistant:
    """Handles one incoming message or button press end to end."""

    def __init__(
        self,
        chat: ChatService,
        store: Store,
        voice: VoiceService,
        images: ImageService,
        config: AssistantConfig | None = None,
    ) -> None:
        self._chat = chat
        self._store = store
        self._voice = voice
        self._images = images
        self._config = config or AssistantConfig()
        self.screens = PreferenceScreens(voices=voice.voices, defaults=self.effective)

    def effective(self, prefs: Preferences) -> Effective:
        return Effective(
            voice_replies=(
                prefs.voice_replies
                if prefs.voice_replies is not None
                else self._config.voice_replies_default
            ),
            voice=prefs.voice or self._config.default_voice,
        )

    async def handle(self, message: IncomingMessage, out: ChatOutput) -> None:
        t = Translator(resolve_language(message.user.language_code))
        try:
            await self._store.remember_user(message.user)
            prefs = await self._store.load_preferences(message.chat.id, message.user.id)
            t = _translator(prefs, message.user)
            if message.command is not None:
                await self._run_command(message, prefs, out, t)
            else:
                await self._converse(message, prefs, out, t)
        except UserFacingError as exc:
            log.info("chat %s: %s: %s", message.chat.id, type(exc).__name__, exc)
            await out.send(Reply(_error_text(exc, t), markdown=False))
        except Exception:
            ref = error_reference()
            log.exception("chat %s: unhandled error (ref %s)", message.chat.id, ref)
            await out.send(Reply(t("error.generic", ref=ref), markdown=False))

    async def handle_callback(self, callback: IncomingCallback, out: ChatOutput) -> None:
        prefs = await self._store.load_preferences(callback.chat.id, callback.user.id)
        if callback.data.startswith("im:"):
            await self._image_button(callback, prefs, out)
            return
        applied = self.screens.apply(callback.data, prefs)
        if applied is None:
            await out.answer_callback(_translator(prefs, callback.user)("callback.invalid"))
            return
        new_prefs, screen = applied
        if new_prefs != prefs:
            await self._store.save_preferences(callback.chat.id, callback.user.id, new_prefs)
        t = _translator(new_prefs, callback.user)
        await out.edit(callback.message_id, self.screens.screen(screen, new_prefs, t))
        await out.answer_callback(t("callback.saved") if new_prefs != prefs else None)

    async def _image_button(
        self, callback: IncomingCallback, prefs: Preferences, out: ChatOutput
    ) -> None:
        t = _translator(prefs, callback.user)
        parts = callback.data.split(":")
        if len(parts) == 4:
            parts[3] = parts[3].replace("x", ":")  # ratios travel as 16x9
        job = await self._store.load_image_job(parts[2]) if len(parts) >= 3 else None
        if job is None or job.chat_id != callback.chat.id or parts[1] not in "vhbr":
            await out.answer_callback(t("callback.invalid"))
            return
        if parts[1] == "r" and (len(parts) != 4 or parts[3] not in ASPECT_RATIOS):
            await out.answer_callback(t("callback.invalid"))
            return
        await out.answer_callback(t("image.working"))
        owner = callback.user.id
        try:
            if parts[1] == "v":
                await self._images.create(
                    self._images.derive(job, user_id=owner), out, t, fresh=True
                )
            elif parts[1] == "h":
                await self._images.create(self._images.derive(job, size=HD, user_id=owner), out, t)
            elif parts[1] == "b":
                await self._images.create_batch(self._images.derive(job, user_id=owner), out, t)
            else:
                changed = self._images.derive(job, aspect_ratio=parts[3], user_id=owner)
                await self._images.create(changed, out, t)
        except UserFacingError as exc:
            await out.send(Reply(_error_text(exc, t), markdown=False))

    # --- conversation ------------------------------------------------------------------------

    async def _converse(
        self, message: IncomingMessage, prefs: Preferences, out: ChatOutput, t: Translator
    ) -> None:
        audio = next((a for a in message.attachments if is_audio(a)), None)
        photos = tuple(a for a in message.attachments if a.kind is AttachmentKind.PHOTO)
        if message.unsupported and audio is None and not photos and not message.parts:
            raise UnsupportedMedia(f"update {message.update_id}")
        replied_photos = tuple(p for p in photos if p.from_reply)
        if (prefs.mode is Mode.IMAGE and audio is None) or (replied_photos and message.text):
            await self._image_request(message, photos, out, t)
            return
        if (
            photos
            and audio is None
            and not message.text.strip()
            and prefs.mode not in (Mode.ASSISTANT,)
        ):
            raise UnsupportedMedia("photo outside assistant and image modes")
        if prefs.mode is Mode.TRANSCRIPTION and audio is None:
            await out.send(Reply(t("mode.transcription_needs_audio"), markdown=False))
            return
        parts: list[Part] = list(message.parts)
        if message.text.strip() and prefs.mode is not Mode.TRANSCRIPTION:
            parts.insert(0, TextPart(message.text))
        if audio is not None:
            parts.append(await self._voice.listen(audio))
        if prefs.mode is Mode.ASSISTANT:
            parts.extend([await self._images.look_at(photo) for photo in photos])
        if not parts:
            parts = [TextPart(message.text)]

        if prefs.mode is Mode.TRANSCRIPTION:
            await self._chat.one_shot(parts, out, instruction=modes.TRANSCRIPTION)
            return
        effective = self.effective(prefs)
        if prefs.mode is Mode.TRANSLATION:
            instruction = modes.instruction(Mode.TRANSLATION, target_language=prefs.target_language)
            answer = await self._chat.one_shot(parts, out, instruction=instruction)
        else:
            instruction = modes.instruction(
                Mode.ASSISTANT,
                expressive=prefs.expressive and effective.voice_replies,
                custom_assistant=self._config.custom_instruction,
            )
            label = message.text.strip() or t(
                "transcript.voice_message" if audio is not None else "transcript.photo"
            )
            tools = ImageTool(self._images, message, photos, out, t)
            answer = await self._chat.answer(
                message.key,
                parts,
                out,
                instruction=instruction,
                transcript_text=label,
                tools=tools,
            )
        if effective.voice_replies and answer:
            await self._voice.speak(answer, voice=effective.voice, out=out, t=t)

    # --- commands ----------------------------------------------------------------------------

    async def _run_command(
        self, message: IncomingMessage, prefs: Preferences, out: ChatOutput, t: Translator
    ) -> None:
        assert message.command is not None
        name, args = message.command.name, message.command.args.strip()
        if name == "start":
            text = t("start.welcome", name=message.user.first_name, commands=command_list(t))
            await out.send(Reply(text, markdown=False))
        elif name == "help":
            await out.send(Reply(t("help.text", commands=command_list(t)), markdown=False))
        elif name in ("reset", "new"):
            await self._store.reset_conversation(message.key)
            await out.send(Reply(t("reset.done"), markdown=False))
        elif name == "mode":
            await out.send(self.screens.mode_screen(prefs, t))
        elif name == "settings":
            await out.send(self.screens.settings_screen(prefs, t))
        elif name == "lang":
            await out.send(self.screens.ui_screen(prefs, t))
        elif name in IMAGE_COMMANDS:
            await self._image_command(message, name, args, out, t)
        elif name == "voice":
            await self._voice_command(message, prefs, args, out, t)
        elif name == "language":
            await self._language_command(message, prefs, args, out, t)
        else:
            await out.send(Reply(t("error.unknown_command"), markdown=False))

    async def _image_command(
        self, message: IncomingMessage, name: str, args: str, out: ChatOutput, t: Translator
    ) -> None:
        ratio, prompt = split_ratio(args)
        if not prompt:
            await out.send(Reply(t("image.usage"), markdown=False))
            return
        photos = tuple(a for a in message.attachments if a.kind is AttachmentKind.PHOTO)
        job = self._images.new_job(
            chat_id=message.chat.id,
            user_id=message.user.id,
            prompt=prompt,
            size=IMAGE_COMMANDS[name],
            aspect_ratio=ratio,
            references=photos,
        )
        if name == "batch":
            await self._images.create_batch(job, out, t)
        else:
            await self._images.create(job, out, t)

    async def _image_request(
        self,
        message: IncomingMessage,
        photos: tuple[Attachment, ...],
        out: ChatOutput,
        t: Translator,
    ) -> None:
        """Image mode, or a reply to one of the bot's images: the text is the prompt and the
        photos (sent or replied to) are the references."""
        ratio, prompt = split_ratio(message.text)
        if not prompt:
            key = "image.photo_needs_caption" if photos else "image.usage"
            await out.send(Reply(t(key), markdown=False))
            return
        job = self._images.new_job(
            chat_id=message.chat.id,
            user_id=message.user.id,
            prompt=prompt,
            aspect_ratio=ratio,
            references=photos,
        )
        await self._images.create(job, out, t)

    async def _voice_command(
        self,
        message: IncomingMessage,
        prefs: Preferences,
        args: str,
        out: ChatOutput,
        t: Translator,
    ) -> None:
        choice = args.lower()
        if not choice:
            await out.send(self.screens.voice_screen(prefs, t))
        elif choice in ("on", "off"):
            await self._save(message, replace(prefs, voice_replies=choice == "on"))
            await out.send(Reply(t(f"voice.{choice}"), markdown=False))
        else:
            await out.send(Reply(t("voice.usage"), markdown=False))

    async def _language_command(
        self,
        message: IncomingMessage,
        prefs: Preferences,
        args: str,
        out: ChatOutput,
        t: Translator,
    ) -> None:
        if not args:
            await out.send(self.screens.target_screen(prefs, t))
            return
        language = modes.language_name(args)
        if language is None:
            await out.send(Reply(t("language.invalid"), markdown=False))
            return
        await self._save(message, replace(prefs, target_language=language))
        await out.send(Reply(t("language.set", language=language), markdown=False))

    async def _save(self, message: IncomingMessage, prefs: Preferences) -> None:
        await self._store.save_preferences(message.chat.id, message.user.id, prefs)


def _error_text(exc: UserFacingError, t: Translator) -> str:
    return t(exc.message_key, ref=error_reference(), **exc.message_args())


class ImageTool:
    """``generate_image`` for the chat model, so "draw me a fox in the snow" needs no command."""

    def __init__(
        self,
        images: ImageService,
        message: IncomingMessage,
        photos: tuple[Attachment, ...],
        out: ChatOutput,
        t: Translator,
    ) -> None:
        self._images = images
        self._message = message
        self._photos = photos
        self._out = out
        self._t = t

    @property
    def specs(self) -> list[ToolSpec]:
        return [
            ToolSpec(
                name="generate_image",
                description=(
                    "Create a picture with the image model and show it to the user, or edit the "
                    "photos the user attached. Use it whenever the user asks for a drawing, "
                    "picture, illustration, poster or a change to their photo."
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
        ]

    async def run(self, call: ToolCall) -> ToolResult:
        if call.name != "generate_image":
            return ToolResult(call.call_id, call.name, f"There is no function {call.name}.")
        prompt = str(call.arguments.get("prompt") or "").strip()
        ratio = call.arguments.get("aspect_ratio")
        use_photos = call.arguments.get("use_attached_photos", True) is not False
        try:
            job = self._images.new_job(
                chat_id=self._message.chat.id,
                user_id=self._message.user.id,
                prompt=prompt,
                aspect_ratio=ratio if isinstance(ratio, str) and ratio in ASPECT_RATIOS else None,
                references=self._photos if use_photos else (),
            )
            await self._images.create(job, self._out, self._t)
        except UserFacingError as exc:
            await self._out.send(Reply(_error_text(exc, self._t), markdown=False))
            return ToolResult(
                call.call_id,
                call.name,
                "The picture could not be made and the user has been told why; "
                "do not repeat the explanation.",
            )
        return ToolResult(
            call.call_id, call.name, "The picture was made and is now shown to the user."
        )
