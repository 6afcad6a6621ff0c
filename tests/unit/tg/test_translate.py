"""aiogram messages → the core's IncomingMessage."""

from __future__ import annotations

from aiogram.types import Message

from telegemini.tg.translate import to_incoming


def test_nul_characters_never_reach_the_core():
    message = Message.model_validate(
        {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 5, "type": "private"},
            "from": {"id": 5, "is_bot": False, "first_name": "Ev\x00e", "username": "e\x00ve"},
            "text": "hel\x00lo",
        }
    )
    incoming = to_incoming(message, update_id=1, bot_id=99, bot_username="bot")
    assert incoming is not None
    assert incoming.text == "hello"
    assert (incoming.user.first_name, incoming.user.username) == ("Eve", "eve")
