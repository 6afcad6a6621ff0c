"""What users do: send text, voice, audio, photos, documents, press buttons, press a draft's
Stop button, send ephemeral commands in groups.

Each action adds the message to the chat log and queues the Update Telegram would send (to
getUpdates or the webhook). Misuse by a test, such as replying to a message that does not exist
or pressing a button that is not there, raises ``ValueError`` at once.
"""

from __future__ import annotations

import copy
from typing import Any

from .api_media import file_object
from .entities import detect_entities, utf16_slice
from .media import KINDS, StoredFile, extension_of, photo_sizes
from .models import Draft, FakeChat, FakeUser
from .state import ChatState, FakeState, public


class UserActions:
    """Mixin of ``FakeTelegramServer``: the user side of the conversation."""

    _state: FakeState

    def add_chat(self, chat: FakeChat | FakeUser) -> dict[str, Any]:
        """Make a chat known without a message (a group the bot was added to, a user's chat)."""
        if isinstance(chat, FakeUser):
            self._state.users[chat.id] = chat.to_api()
            return dict(self._state.ensure_chat(chat.private_chat()).chat)
        return dict(self._state.ensure_chat(chat.to_api()).chat)

    def set_blocked(self, user: FakeUser, blocked: bool = True) -> None:
        """The user blocks (or unblocks) the bot: sends to their chat then fail with 403."""
        if blocked:
            self._state.blocked.add(user.id)
        else:
            self._state.blocked.discard(user.id)

    def _chat_for(self, user: FakeUser, chat: FakeChat | None) -> ChatState:
        self._state.users[user.id] = user.to_api()
        return self._state.ensure_chat(user.private_chat() if chat is None else chat.to_api())

    def _addressed_to_bot(self, chat: ChatState, message: dict[str, Any]) -> bool:
        """Privacy mode: in groups the bot only sees commands, mentions and replies to it."""
        if not self._state.privacy_mode or chat.chat.get("type") == "private":
            return True
        bot = self._state.bot_user
        replied = message.get("reply_to_message") or {}
        if (replied.get("from") or {}).get("id") == bot["id"]:
            return True
        text = message.get("text") or message.get("caption") or ""
        entities = message.get("entities") or message.get("caption_entities") or []
        handle = f"@{bot['username']}".lower()
        for item in entities:
            token = utf16_slice(text, item["offset"], item["length"]).lower()
            if item["type"] == "mention" and token == handle:
                return True
            if item["type"] == "bot_command" and ("@" not in token or token.endswith(handle)):
                return True
        return False

    def _user_message(
        self,
        user: FakeUser,
        chat: FakeChat | None,
        content: dict[str, Any],
        *,
        reply_to_message_id: int | None = None,
        message_thread_id: int | None = None,
    ) -> dict[str, Any]:
        state = self._chat_for(user, chat)
        reply = None
        if reply_to_message_id is not None:
            stored = state.messages.get(reply_to_message_id)
            if stored is None:
                raise ValueError(
                    f"message {reply_to_message_id} does not exist in chat {state.chat['id']}"
                )
            reply = stored.message
        message = self._state.add_message(
            state,
            content,
            sender=user.to_api(),
            reply_to=reply,
            thread_id=message_thread_id,
        )
        update = {"message": message}
        if not self._addressed_to_bot(state, message):
            return update  # privacy mode: logged in the chat, never sent to the bot
        return self._state.deliver(update)

    @staticmethod
    def _caption(caption: str | None) -> dict[str, Any]:
        if not caption:
            return {}
        entities = detect_entities(caption)
        return {"caption": caption, **({"caption_entities": entities} if entities else {})}

    def _store(
        self,
        kind: str,
        data: bytes,
        meta: dict[str, Any],
        *,
        file_name: str | None = None,
        declared_size: int | None = None,
    ) -> dict[str, Any]:
        spec = KINDS[kind]
        stored = self._state.files.add(
            data,
            kind=kind,
            folder=spec.folder,
            extension=extension_of(file_name, spec.extension, kind),
            size=declared_size,
            meta=meta,
        )
        return file_object(kind, stored, meta)

    def send_text(
        self,
        user: FakeUser,
        text: str,
        *,
        chat: FakeChat | None = None,
        reply_to_message_id: int | None = None,
        message_thread_id: int | None = None,
    ) -> dict[str, Any]:
        """A text message; bot_command, mention and url entities are detected as Telegram does."""
        entities = detect_entities(text)
        content: dict[str, Any] = {"text": text, **({"entities": entities} if entities else {})}
        return self._user_message(
            user,
            chat,
            content,
            reply_to_message_id=reply_to_message_id,
            message_thread_id=message_thread_id,
        )

    def send_voice(
        self,
        user: FakeUser,
        data: bytes,
        *,
        duration: int,
        chat: FakeChat | None = None,
        mime_type: str = "audio/ogg",
        reply_to_message_id: int | None = None,
        declared_size: int | None = None,
    ) -> dict[str, Any]:
        """A voice note (stored as ``voice/file_N.oga``)."""
        voice = self._store(
            "voice",
            data,
            {"duration": duration, "mime_type": mime_type},
            declared_size=declared_size,
        )
        return self._user_message(
            user, chat, {"voice": voice}, reply_to_message_id=reply_to_message_id
        )

    def send_audio(
        self,
        user: FakeUser,
        data: bytes,
        *,
        duration: int,
        mime_type: str,
        file_name: str,
        chat: FakeChat | None = None,
        caption: str | None = None,
        declared_size: int | None = None,
    ) -> dict[str, Any]:
        """An audio file (music player, not a voice note)."""
        meta = {"duration": duration, "mime_type": mime_type, "file_name": file_name}
        audio = self._store("audio", data, meta, file_name=file_name, declared_size=declared_size)
        return self._user_message(user, chat, {"audio": audio, **self._caption(caption)})

    def send_video_note(
        self,
        user: FakeUser,
        data: bytes,
        *,
        duration: int,
        length: int = 240,
        chat: FakeChat | None = None,
        declared_size: int | None = None,
    ) -> dict[str, Any]:
        """A round video message."""
        note = self._store(
            "video_note",
            data,
            {"duration": duration, "length": length},
            declared_size=declared_size,
        )
        return self._user_message(user, chat, {"video_note": note})

    def send_photo(
        self,
        user: FakeUser,
        data: bytes,
        *,
        width: int,
        height: int,
        caption: str | None = None,
        chat: FakeChat | None = None,
        media_group_id: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """A photo: two PhotoSizes (preview, full), smallest first, on the same bytes."""
        content: dict[str, Any] = {
            "photo": photo_sizes(self._state.files, data, width, height),
            **self._caption(caption),
        }
        if media_group_id is not None:
            content["media_group_id"] = media_group_id
        return self._user_message(user, chat, content, reply_to_message_id=reply_to_message_id)

    def send_document(
        self,
        user: FakeUser,
        data: bytes,
        *,
        file_name: str,
        mime_type: str,
        caption: str | None = None,
        chat: FakeChat | None = None,
        declared_size: int | None = None,
    ) -> dict[str, Any]:
        """A file sent as a document."""
        meta = {"file_name": file_name, "mime_type": mime_type}
        document = self._store(
            "document", data, meta, file_name=file_name, declared_size=declared_size
        )
        return self._user_message(user, chat, {"document": document, **self._caption(caption)})

    def press_button(self, user: FakeUser, message: dict[str, Any], data: str) -> dict[str, Any]:
        """Press the inline button with ``callback_data == data`` on a bot message (an ephemeral
        one too: only its receiver can press; the query's ``message`` is the ephemeral one)."""
        chat_id = int(message["chat"]["id"])
        ephemeral_id = message.get("ephemeral_message_id")
        current: dict[str, Any] | None
        if ephemeral_id is not None:
            found = self._state.find_ephemeral(chat_id, int(ephemeral_id))
            if found is not None and found.receiver_id != user.id:
                raise ValueError(f"user {user.id} does not see ephemeral message {ephemeral_id}")
            current = None if found is None else found.message
        else:
            stored = self._state.find_message(chat_id, int(message["message_id"]))
            current = None if stored is None else stored.message
        if current is None:
            which = ephemeral_id if ephemeral_id is not None else message["message_id"]
            raise ValueError(f"message {which} is gone from chat {chat_id}")
        rows = (current.get("reply_markup") or {}).get("inline_keyboard", [])
        available = [button.get("callback_data") for row in rows for button in row]
        if data not in available:
            raise ValueError(f"no button with callback_data {data!r}; the message has {available}")
        self._state.users[user.id] = user.to_api()
        query_id = str(4_000_000_000 + self._state.serial())
        self._state.callback_queries[query_id] = {
            "answered": False,
            "chat_id": chat_id,
            "data": data,
            "at": self._state.clock(),
            "user_id": user.id,
            "message_id": current["message_id"],
            "ephemeral": ephemeral_id is not None,
        }
        query = {
            "id": query_id,
            "from": user.to_api(),
            "chat_instance": str(abs(chat_id) * 7919 + 104729),
            "data": data,
            "message": public(current),
        }
        return self._state.deliver({"callback_query": query})

    def press_stop(
        self, user: FakeUser, draft_id: int | None = None, thread_id: int | None = None
    ) -> dict[str, Any]:
        """Press the Stop button of the user's current draft (Bot API 10.3).

        The current draft is the latest one in the user's private chat (in topic ``thread_id``
        when given; ``draft_id`` picks one). It must have been sent with ``can_stop`` and still
        be shown (not stopped, not replaced by a bot message), else ``ValueError``. Queues
        ``{"stopped_message_generation": {"chat", "draft_id", "message_thread_id"?}}``; later
        drafts with that draft_id are answered ``true`` but not shown (``Draft.after_stop``).
        """
        candidates = [
            draft
            for draft in self._state.drafts.values()
            if draft.chat_id == user.id
            and (thread_id is None or draft.message_thread_id == thread_id)
            and (draft_id is None or draft.draft_id == draft_id)
        ]
        if draft_id is None:
            candidates = [draft for draft in candidates if not draft.stopped and not draft.gone]
        if not candidates:
            where = "" if thread_id is None else f" in topic {thread_id}"
            wanted = "a draft" if draft_id is None else f"draft {draft_id}"
            raise ValueError(f"no Stop button to press: {wanted} is not shown to {user.id}{where}")
        draft = max(candidates, key=lambda item: item.at)
        self._check_stoppable(draft)
        draft.stopped = True
        self._state.emit("stop", draft.chat_id, draft)
        chat = self._state.ensure_chat(user.private_chat()).chat
        stopped: dict[str, Any] = {"chat": dict(chat), "draft_id": draft.draft_id}
        if draft.message_thread_id is not None:
            stopped["message_thread_id"] = draft.message_thread_id
        return self._state.deliver({"stopped_message_generation": stopped})

    @staticmethod
    def _check_stoppable(draft: Draft) -> None:
        if draft.stopped:
            raise ValueError(f"draft {draft.draft_id} was already stopped")
        if draft.gone:
            raise ValueError(f"draft {draft.draft_id} is gone: the bot sent a message after it")
        if not draft.can_stop:
            raise ValueError(
                f"draft {draft.draft_id} has no Stop button (its latest call had no can_stop)"
            )

    def send_ephemeral_command(
        self,
        user: FakeUser,
        text: str,
        *,
        chat: FakeChat,
        require_menu: bool = True,
        message_thread_id: int | None = None,
    ) -> dict[str, Any]:
        """An ephemeral command in a group (Bot API 10.2): only the bot sees it.

        The update is a ``message`` with ``message_id`` 0, an ``ephemeral_message_id`` and
        ``receiver_user`` (the bot). For 15 seconds (``server.clock``) the bot may answer it
        ephemerally with ``reply_parameters.ephemeral_message_id``. Telegram only offers this
        for commands the bot registered with ``is_ephemeral`` (``setMyCommands``): with
        ``require_menu`` a command that is not in any such list raises ``ValueError``.
        """
        if chat.type not in ("group", "supergroup"):
            raise ValueError("ephemeral commands exist only in groups and supergroups")
        command = text.split(maxsplit=1)[0] if text.strip() else ""
        name = command[1:].split("@", 1)[0]
        if not command.startswith("/"):
            raise ValueError(f"an ephemeral command starts with '/': {text!r}")
        if require_menu and not any(
            entry.get("command") == name and entry.get("is_ephemeral")
            for entries in self._state.commands.values()
            for entry in entries
        ):
            raise ValueError(f"/{name} is not an is_ephemeral command of the bot's menus")
        state = self._chat_for(user, chat)
        entities = detect_entities(text)
        content: dict[str, Any] = {"text": text, **({"entities": entities} if entities else {})}
        message = self._state.add_ephemeral(
            state,
            content,
            receiver=self._state.bot_user,
            sender=user.to_api(),
            thread_id=message_thread_id,
        )
        return self._state.deliver({"message": message})

    def inject_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw Update (an ``update_id`` is assigned when missing)."""
        return self._state.deliver(copy.deepcopy(update))

    def redeliver(self, update: dict[str, Any]) -> None:
        """Deliver the same update (same ``update_id``) again, as Telegram may."""
        if "update_id" not in update:
            raise ValueError("redeliver needs an update that was delivered (with update_id)")
        self._state.deliver(copy.deepcopy(update), redelivery=True)

    def file(self, file_id: str) -> StoredFile | None:
        """A stored file (uploaded by the bot or a user) by its file id."""
        return self._state.files.get(file_id)

    def add_file(
        self,
        data: bytes,
        *,
        path_prefix: str,
        extension: str,
        declared_size: int | None = None,
    ) -> dict[str, Any]:
        """Store a file for getFile/download; ``declared_size`` fakes a big file cheaply."""
        stored = self._state.files.add(
            data, kind="file", folder=path_prefix, extension=extension, size=declared_size
        )
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
        }
