"""The bot's front desk: routes an incoming message to a command or to the conversation, and turns
every failure into a message in the user's language."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from telegemini.core.chat import ChatService
from telegemini.core.i18n import Translator, resolve_language
from telegemini.core.models import IncomingMessage, Reply, TextPart
from telegemini.core.ports import ChatOutput, Store
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
)


def command_list(t: Translator) -> str:
    return "\n".join(f"/{c.name} — {t(c.description_key)}" for c in PUBLIC_COMMANDS)


def error_reference() -> str:
    """A short id that ties what a user saw to the log line with the traceback."""
    return secrets.token_hex(3)


class Assistant:
    """Handles one incoming message end to end, given where to send the answer."""

    def __init__(self, chat: ChatService, store: Store) -> None:
        self._chat = chat
        self._store = store

    async def handle(self, message: IncomingMessage, out: ChatOutput) -> None:
        t = Translator(resolve_language(message.user.language_code))
        try:
            await self._store.remember_user(message.user)
            if message.command is not None:
                await self._run_command(message, out, t)
            else:
                await self._converse(message, out)
        except UserFacingError as exc:
            ref = error_reference()
            log.info("chat %s: %s (ref %s): %s", message.chat.id, type(exc).__name__, ref, exc)
            await out.send(Reply(t(exc.message_key, ref=ref, **exc.message_args()), markdown=False))
        except Exception:
            ref = error_reference()
            log.exception("chat %s: unhandled error (ref %s)", message.chat.id, ref)
            await out.send(Reply(t("error.generic", ref=ref), markdown=False))

    async def _converse(self, message: IncomingMessage, out: ChatOutput) -> None:
        if message.unsupported and not message.parts:
            raise UnsupportedMedia(f"update {message.update_id}")
        parts = list(message.parts) or [TextPart(message.text)]
        await self._chat.answer(message.key, parts, out)

    async def _run_command(self, message: IncomingMessage, out: ChatOutput, t: Translator) -> None:
        assert message.command is not None
        name = message.command.name
        if name == "start":
            text = t("start.welcome", name=message.user.first_name, commands=command_list(t))
        elif name == "help":
            text = t("help.text", commands=command_list(t))
        elif name in ("reset", "new"):
            await self._store.reset_conversation(message.key)
            text = t("reset.done")
        else:
            text = t("error.unknown_command")
        await out.send(Reply(text, markdown=False))
