"""The bot's front desk: lets in (or not) whoever writes, routes the message to a command or the
conversation, handles button presses, and turns every failure into a message in the user's
language (plus an alert to the operator for the unexpected)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

from telegemini.core.admin import AdminDesk
from telegemini.core.alerts import Alerter
from telegemini.core.buttons import (
    BroadcastPress,
    CaptchaPress,
    ImageAction,
    ImagePress,
    SettingPress,
    ShopPress,
)
from telegemini.core.captcha import CaptchaDesk
from telegemini.core.commands import Commands, Feature, find_command
from telegemini.core.conversation import Caller, Conversation, error_reference, error_text
from telegemini.core.guards import Guard, QuotaExceeded, RateLimited, StillWorking
from telegemini.core.i18n import Translator, resolve_language
from telegemini.core.images import HD
from telegemini.core.models import (
    ASPECT_RATIOS,
    ChatRef,
    ChatType,
    IncomingCallback,
    IncomingMessage,
    Preferences,
    Reply,
    UserRecord,
    UserRef,
)
from telegemini.core.ports import ChatOutput, NoObserver, Observer, Store
from telegemini.core.preferences import Effective, PreferenceScreens
from telegemini.core.shop import Shop
from telegemini.errors import (
    ChatUnreachable,
    DeliveryUncertain,
    ImageNotMade,
    ModelRefused,
    UpstreamError,
    UserFacingError,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AssistantConfig:
    voice_replies_default: bool = True
    default_voice: str = "Kore"
    search_enabled: bool = False  # the operator's GOOGLE_SEARCH_ENABLED
    documents_enabled: bool = True  # the operator's DOCUMENTS_ENABLED
    url_context_enabled: bool = True  # the operator's URL_CONTEXT_ENABLED


def translator(prefs: Preferences, user: UserRef | UserRecord) -> Translator:
    return Translator(prefs.ui_language or resolve_language(user.language_code))


class Assistant:
    """Handles one incoming message or button press end to end."""

    def __init__(
        self,
        *,
        store: Store,
        guard: Guard,
        conversation: Conversation,
        captcha: CaptchaDesk,
        admin: AdminDesk,
        alerter: Alerter,
        voices: tuple[str, ...],
        config: AssistantConfig | None = None,
        observer: Observer | None = None,
        shop: Shop | None = None,
    ) -> None:
        self._store = store
        self._guard = guard
        self._conversation = conversation
        self._captcha = captcha
        self._admin = admin
        self.alerter = alerter
        self._config = config or AssistantConfig()
        self._observer = observer or NoObserver()
        self.screens = PreferenceScreens(voices=voices, defaults=self.effective)
        self.shop = shop
        self._commands = Commands(store, guard, conversation, self.screens, shop)

    def effective(self, prefs: Preferences) -> Effective:
        default = self._config.voice_replies_default
        allowed = self._config.search_enabled
        reading = prefs.reading is not False
        return Effective(
            voice_replies=prefs.voice_replies if prefs.voice_replies is not None else default,
            voice=prefs.voice or self._config.default_voice,
            search=allowed and prefs.search is not False,
            search_available=allowed,
            documents=self._config.documents_enabled and reading,
            url_context=self._config.url_context_enabled and reading,
            reading_available=self._config.documents_enabled or self._config.url_context_enabled,
        )

    # --- messages ------------------------------------------------------------------------------

    async def handle(self, message: IncomingMessage, out: ChatOutput) -> None:
        async with self._delivery_faults(message.chat, message.user.id):
            await self._handle(message, out)

    @contextlib.asynccontextmanager
    async def _delivery_faults(self, chat: ChatRef, user_id: int) -> AsyncIterator[None]:
        """Faults of the chat rather than of the bot, which no apology can reach: blocked by the
        user (or removed from the group) is noted, not alerted, not retried, and the user counts
        as reachable again when they next write in private; a message that may have arrived is
        logged and left alone."""
        try:
            yield
        except ChatUnreachable as exc:
            log.info("chat %s cannot be written to (%s)", chat.id, exc)
            if not chat.is_private:
                return
            user = await self._store.load_user(user_id)
            if user is not None and not user.blocked_bot:
                await self._store.save_user(replace(user, blocked_bot=True))
        except DeliveryUncertain as exc:
            log.warning("chat %s: a message may not have arrived (%s)", chat.id, exc)

    async def _handle(self, message: IncomingMessage, out: ChatOutput) -> None:
        t = Translator(resolve_language(message.user.language_code))
        try:
            # Side by side: a new user's two reads share one trip to the database.
            user, prefs = await asyncio.gather(
                self._store.remember_user(message.user, private=message.chat.is_private),
                self._store.load_preferences(message.chat.id, message.user.id),
            )
            t = translator(prefs, message.user)
            if not await self._admit(user, message, out, t):
                return
            await self._store.mark_active(self._guard.day(), user.id)
            caller = Caller(user, prefs, self.effective(prefs), out, t)
            command = message.command
            known = find_command(command.name) if command is not None else None
            if known is not None and known.stars and (self.shop is None or not self.shop.enabled):
                known = None  # nothing of selling exists while Stars are off
            if command is not None and known is None:
                await out.send(Reply(t("error.unknown_command"), markdown=False))
            elif command is not None and known is not None and known.feature is Feature.ADMIN:
                await self._admin.run(message, command.name, command.args, out, t)
            elif command is not None and known is not None and known.feature is Feature.PAYMENTS:
                assert self.shop is not None
                await self.shop.run(message, command.name, command.args, user, out, t)
            elif command is not None:
                await self._commands.run(message, caller)
            else:
                await self._conversation.handle(message, caller)
        except (ChatUnreachable, DeliveryUncertain):
            raise
        except UserFacingError as exc:
            await self._explain(exc, message.user.id, out, t)
        except Exception as exc:
            await self._unexpected(exc, message.chat.id, message.user.id, out, t)

    async def _admit(
        self, user: UserRecord, message: IncomingMessage, out: ChatOutput, t: Translator
    ) -> bool:
        """Banned, not allowed, or not yet verified: a single explanation, then silence."""
        admin = self._guard.is_admin(user.id)
        if user.banned and not admin:
            await self._notice_once(user, "banned", t("ban.notice"), out)
            return False
        if not self._guard.allows(user, message.chat.id):
            await self._notice_once(user, "denied", t("access.denied", user_id=user.id), out)
            return False
        if self._captcha.needed(user, private=message.chat.is_private, admin=admin):
            await self._captcha.challenge(user, message.text, out, t)
            return False
        return True

    async def _notice_once(self, user: UserRecord, notice: str, text: str, out: ChatOutput) -> None:
        if notice in user.notices:
            return
        await self._store.save_user(replace(user, notices=user.notices | {notice}))
        await out.send(Reply(text, markdown=False, private=True))

    async def _explain(
        self, exc: UserFacingError, user_id: int, out: ChatOutput, t: Translator
    ) -> None:
        log.info("user %s: %s: %s", user_id, type(exc).__name__, exc)
        if isinstance(exc, ModelRefused) or (
            isinstance(exc, ImageNotMade) and exc.reason == "safety"
        ):
            user = await self._store.load_user(user_id)
            if user is not None:
                await self._conversation.count_violation(user)
        if isinstance(exc, UpstreamError):
            ref = error_reference()
            await self._store.count(self._guard.day(), user_id, f"error:{type(exc).__name__}")
            await self.alerter.report(
                f"upstream:{type(exc).__name__}",
                f"Gemini: {type(exc).__name__}",
                ref=ref,
                details=str(exc),
            )
            await out.send(Reply(error_text(exc, t, ref), markdown=False))
            return
        personal = isinstance(exc, QuotaExceeded | RateLimited | StillWorking)
        await out.send(Reply(error_text(exc, t), markdown=False, private=personal))

    async def _unexpected(
        self, exc: Exception, chat_id: int, user_id: int, out: ChatOutput, t: Translator
    ) -> None:
        ref = error_reference()
        log.error("chat %s: unhandled error (ref %s)", chat_id, ref, exc_info=exc)
        self._observer.failed(type(exc).__name__)
        try:
            await self._store.count(self._guard.day(), user_id, f"error:{type(exc).__name__}")
        except Exception:
            log.warning("could not count the error", exc_info=True)
        details = "".join(traceback.format_exception(exc))
        await self.alerter.report(type(exc).__name__, type(exc).__name__, ref=ref, details=details)
        await out.send(Reply(t("error.generic", ref=ref), markdown=False))

    # --- buttons -------------------------------------------------------------------------------

    async def handle_callback(self, callback: IncomingCallback, out: ChatOutput) -> None:
        async with self._delivery_faults(callback.chat, callback.user.id):
            await self._handle_callback(callback, out)

    async def _handle_callback(self, callback: IncomingCallback, out: ChatOutput) -> None:
        prefs = await self._store.load_preferences(callback.chat.id, callback.user.id)
        t = translator(prefs, callback.user)
        press = callback.action
        try:
            user = await self._store.remember_user(callback.user)
            admin = self._guard.is_admin(user.id)
            if isinstance(press, CaptchaPress):
                await self._captcha_button(user, callback, out, t)
                return
            if (user.banned and not admin) or not self._guard.allows(user, callback.chat.id):
                await out.answer_callback(t("callback.invalid"))
                return
            if isinstance(press, BroadcastPress):
                await self._admin.button(press, callback, out, t)
            elif isinstance(press, ShopPress):
                if self.shop is None or not self.shop.enabled:
                    await out.answer_callback(t("callback.invalid"))
                else:
                    await self.shop.press(press, callback, out, t)
            elif isinstance(press, ImagePress):
                caller = Caller(user, prefs, self.effective(prefs), out, t)
                await self._image_button(press, callback, caller)
            else:
                await self._preference_button(press, callback, prefs, out)
        except (ChatUnreachable, DeliveryUncertain):
            raise
        except UserFacingError as exc:
            await self._explain(exc, callback.user.id, out, t)
        except Exception as exc:
            await self._unexpected(exc, callback.chat.id, callback.user.id, out, t)

    async def _preference_button(
        self, press: SettingPress, callback: IncomingCallback, prefs: Preferences, out: ChatOutput
    ) -> None:
        applied = self.screens.apply(press, prefs)
        if applied is None:
            await out.answer_callback(translator(prefs, callback.user)("callback.invalid"))
            return
        new_prefs, screen = applied
        if new_prefs != prefs:
            await self._store.save_preferences(callback.chat.id, callback.user.id, new_prefs)
        t = translator(new_prefs, callback.user)
        await out.edit(callback.message_id, self.screens.screen(screen, new_prefs, t))
        await out.answer_callback(t("callback.saved") if new_prefs != prefs else None)

    async def _captcha_button(
        self, user: UserRecord, callback: IncomingCallback, out: ChatOutput, t: Translator
    ) -> None:
        pending = await self._captcha.answer(user, callback, out, t)
        if pending is None:
            return
        if pending.strip():  # answer the message that waited for the check
            message = IncomingMessage(
                update_id=callback.update_id,
                message_id=callback.message_id,
                chat=ChatRef(callback.chat.id, ChatType.PRIVATE),
                user=callback.user,
                text=pending,
            )
            await self.handle(message, out)

    async def _image_button(
        self, press: ImagePress, callback: IncomingCallback, caller: Caller
    ) -> None:
        out, t = caller.out, caller.t
        job = await self._store.load_image_job(press.job_id)
        valid_ratio = press.action is not ImageAction.RATIO or press.ratio in ASPECT_RATIOS
        if job is None or job.chat_id != callback.chat.id or not valid_ratio:
            await out.answer_callback(t("callback.invalid"))
            return
        if press.action is not ImageAction.ANIMATE:
            await out.answer_callback(t("image.working"))
        images = self._conversation.images
        owner = callback.user.id
        if press.action is ImageAction.VARIANT:
            await self._conversation.make_image(
                images.derive(job, user_id=owner), caller, fresh=True
            )
        elif press.action is ImageAction.HD:
            await self._conversation.make_image(images.derive(job, size=HD, user_id=owner), caller)
        elif press.action is ImageAction.ANIMATE:
            videos = self._conversation.videos
            if videos is None:
                await out.answer_callback(t("callback.invalid"))
            else:
                await videos.animate(job, callback, caller)
        elif press.action is ImageAction.BATCH:
            await self._conversation.make_image(
                images.derive(job, user_id=owner), caller, batch=True
            )
        else:
            changed = images.derive(job, aspect_ratio=press.ratio, user_id=owner)
            await self._conversation.make_image(changed, caller)
