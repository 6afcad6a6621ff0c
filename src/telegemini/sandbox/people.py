"""Who is in the sandbox: five simulated users, one per interface language, and a group chat."""

from __future__ import annotations

from typing import Any

from telegemini.sandbox.fake_telegram import FakeChat, FakeUser

USERS: tuple[FakeUser, ...] = (
    FakeUser(id=1001, first_name="Alice", username="alice", language_code="en"),
    FakeUser(id=1002, first_name="李华", username="lihua", language_code="zh-hans"),
    FakeUser(id=1003, first_name="陳大文", username="chantaiman", language_code="zh-hant"),
    FakeUser(id=1004, first_name="Lucía", username="lucia", language_code="es"),
    FakeUser(id=1005, first_name="Иван", username="ivan", language_code="ru"),
)

GROUP = FakeChat(id=-1001234567890, type="supergroup", title="Sandbox group")

ADMIN = USERS[0]
"""The sandbox's admin (its id is the bot's ADMIN_USER_IDS): /stats, /tier, /broadcast … work."""


def find_user(user_id: int) -> FakeUser | None:
    """The simulated user with this id, if any."""
    return next((user for user in USERS if user.id == user_id), None)


def chat_for(user: FakeUser, chat_id: int) -> FakeChat | None:
    """The chat ``user`` writes in: None for their private chat with the bot, else the group.

    Raises ValueError for any other chat (a user cannot write in someone else's private chat).
    """
    if chat_id == user.id:
        return None
    if chat_id == GROUP.id:
        return GROUP
    raise ValueError(f"{user.first_name} cannot write in chat {chat_id}")


def menu_language(language_code: str | None) -> str:
    """The ``language_code`` Telegram looks up a command menu by: the first two letters."""
    return (language_code or "")[:2].lower()


def describe_users() -> list[dict[str, Any]]:
    """The users as the chat page shows them."""
    return [
        {
            "id": user.id,
            "first_name": user.first_name,
            "username": user.username,
            "language_code": user.language_code,
            "admin": user.id == ADMIN.id,
        }
        for user in USERS
    ]


def describe_group() -> dict[str, Any]:
    """The group chat as the chat page shows it."""
    return GROUP.to_api()
