"""``Messenger`` on the Bot API: messages the bot starts itself (broadcasts, admin alerts)."""

from __future__ import annotations

from html import escape

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError

from telegemini.core.models import Alert

# Room left for the traceback in one message (4096 characters, minus the header and tags).
_DETAILS_ROOM = 3500


class TelegramMessenger:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send_text(self, chat_id: int, text: str) -> bool:
        try:
            await self._bot.send_message(chat_id=chat_id, text=text)
        except TelegramForbiddenError:
            return False  # blocked by the user, or kicked from the group
        except TelegramBadRequest as exc:
            if "not found" in exc.message.lower():
                return False
            raise
        return True

    async def send_alert(self, chat_id: int, alert: Alert) -> None:
        lines = [f"⚠️ <b>{escape(alert.title)}</b>", f"ref <code>{escape(alert.ref)}</code>"]
        if alert.suppressed:
            lines.append(f"(+{alert.suppressed} similar since the last alert)")
        text = "\n".join(lines)
        if alert.details:
            details = alert.details[-_DETAILS_ROOM:]  # the end of a traceback matters most
            text += f"\n<blockquote expandable>{escape(details)}</blockquote>"
        await self._bot.send_message(chat_id=chat_id, text=text, parse_mode="HTML")
