"""A human check for new users in private chats: tap the named picture within 60 seconds.

The user's first message is kept and answered as soon as they pass, so nothing is lost. Three
wrong taps in a row mean a cool-down; passing is remembered for good.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from telegemini.core.buttons import CaptchaPress
from telegemini.core.i18n import Duration, Translator
from telegemini.core.models import Button, Captcha, IncomingCallback, Reply, UserRecord
from telegemini.core.ports import ChatOutput, Store

# Each choice is an emoji and the catalog key naming it, so the question reads in any language.
CHOICES = (
    ("🍎", "apple"),
    ("🚗", "car"),
    ("🐶", "dog"),
    ("🌙", "moon"),
    ("⚽", "ball"),
    ("🎸", "guitar"),
)


@dataclass(frozen=True, slots=True)
class CaptchaConfig:
    enabled: bool = False
    timeout: float = 60.0
    attempts: int = 3
    cooldown: float = 600.0
    options: int = 4


class CaptchaDesk:
    def __init__(
        self, store: Store, config: CaptchaConfig, clock: Callable[[], float] = time.time
    ) -> None:
        self._store = store
        self.config = config
        self._clock = clock

    def needed(self, user: UserRecord, *, private: bool, admin: bool) -> bool:
        return self.config.enabled and private and not user.verified and not admin

    async def challenge(self, user: UserRecord, text: str, out: ChatOutput, t: Translator) -> None:
        """Ask (or ask again); keep the first message so it can be answered afterwards."""
        now = self._clock()
        old = await self._store.load_captcha(user.id)
        if old is not None and old.cooldown_until > now:
            left = Duration(old.cooldown_until - now)
            await out.send(Reply(t("captcha.cooldown", duration=left), markdown=False))
            return
        pending = old.pending_text if old is not None and old.pending_text else text
        captcha, reply = self._new(user.id, pending, old.failures if old else 0, t)
        await self._store.save_captcha(captcha)
        await out.send(reply)

    def _new(
        self, user_id: int, pending: str, failures: int, t: Translator
    ) -> tuple[Captcha, Reply]:
        picks = list(CHOICES)
        secrets.SystemRandom().shuffle(picks)
        offered = picks[: self.config.options]
        answer = secrets.choice(offered)
        captcha = Captcha(
            user_id=user_id,
            answer=answer[0],
            expires_at=self._clock() + self.config.timeout,
            failures=failures,
            pending_text=pending,
        )
        buttons = (tuple(Button(emoji, CaptchaPress(emoji)) for emoji, _ in offered),)
        question = t(
            "captcha.ask", thing=t(f"captcha.{answer[1]}"), duration=Duration(self.config.timeout)
        )
        return captcha, Reply(question, markdown=False, buttons=buttons)

    async def answer(
        self, user: UserRecord, callback: IncomingCallback, out: ChatOutput, t: Translator
    ) -> str | None:
        """Check a tap. Returns the kept first message when the user passed, else None."""
        captcha = await self._store.load_captcha(user.id)
        now = self._clock()
        press = callback.action
        if captcha is None or not isinstance(press, CaptchaPress):
            await out.answer_callback(t("callback.invalid"))
            return None
        if captcha.cooldown_until > now:
            await out.answer_callback(
                t("captcha.cooldown", duration=Duration(captcha.cooldown_until - now))
            )
            return None
        if press.answer == captcha.answer and now <= captcha.expires_at:
            await self._store.save_user(replace(user, verified=True))
            await self._store.delete_captcha(user.id)
            await out.edit(callback.message_id, Reply(t("captcha.passed"), markdown=False))
            await out.answer_callback(None)
            return captcha.pending_text
        failures = captcha.failures + 1
        if failures >= self.config.attempts:
            cooled = replace(captcha, failures=0, cooldown_until=now + self.config.cooldown)
            await self._store.save_captcha(cooled)
            wait = Duration(self.config.cooldown)
            await out.edit(
                callback.message_id, Reply(t("captcha.cooldown", duration=wait), markdown=False)
            )
            await out.answer_callback(None)
            return None
        fresh, reply = self._new(user.id, captcha.pending_text, failures, t)
        await self._store.save_captcha(fresh)
        await out.edit(
            callback.message_id, replace(reply, text=t("captcha.wrong") + "\n\n" + reply.text)
        )
        await out.answer_callback(None)
        return None
