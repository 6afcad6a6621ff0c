from __future__ import annotations

import pytest

from telegemini.core.models import ChatKey, ChatRef, ChatType, UserRef
from telegemini.errors import ModelRefused, UpstreamBusy
from tests.helpers.world import World


def user(language: str = "en") -> UserRef:
    return UserRef(7, "Ada", "ada", language)


@pytest.fixture
def world() -> World:
    return World()


async def test_start_greets_by_name_in_the_users_language(world):
    out = await world.send(command="start", user=user("zh-hans"))
    assert out.texts[0].startswith("你好，Ada")
    assert "/reset" in out.texts[0]


async def test_start_and_id_tell_the_user_their_numeric_id(world):
    out = await world.send(command="start", user=user("es"))
    assert out.texts[0].endswith("Tu id de usuario de Telegram: 7")
    out = await world.send(command="id", user=user())
    assert out.texts == ["Your Telegram user id: 7"]
    group = ChatRef(-100123, ChatType.SUPERGROUP, "Team")
    out = await world.send(command="id", user=user(), chat=group)
    assert out.texts == ["Your Telegram user id: 7\nThis chat's id: -100123"]


async def test_traditional_chinese_users_get_traditional_text(world):
    out = await world.send(command="help", user=user("zh-TW"))
    assert "我可以做這些" in out.texts[0]


async def test_reset_forgets_the_conversation(world):
    await world.send("hi")
    assert (await world.store.load_conversation(ChatKey(7))).head_id is not None
    out = await world.send(command="new")
    assert (await world.store.load_conversation(ChatKey(7))).head_id is None
    assert out.texts == ["Fresh start! I've forgotten our previous conversation."]


async def test_busy_model_gives_a_wait_hint(world):
    world.model.enqueue(error=UpstreamBusy("429", retry_after=12))
    out = await world.send("hi", user=user("es"))
    assert out.texts == ["Gemini está ocupado. Inténtalo de nuevo en unos 12 s."]


async def test_refusal_has_its_own_message(world):
    world.model.enqueue(error=ModelRefused("SAFETY"))
    out = await world.send("something bad")
    assert "safety" in out.texts[0]


async def test_unexpected_errors_give_a_reference_not_a_traceback(world, caplog):
    world.model.enqueue(error=RuntimeError("kaboom secret internals"))
    out = await world.send("hi")
    assert "kaboom" not in out.texts[0]
    assert "Traceback" not in out.texts[0]
    ref = out.texts[0].rsplit("ref ", 1)[1].rstrip(")")
    assert any(ref in r.getMessage() and r.exc_info for r in caplog.records)


async def test_unknown_command_points_to_help(world):
    out = await world.send(command="frobnicate")
    assert "/help" in out.texts[0]


async def test_unsupported_media_is_explained(world):
    from telegemini.core.models import IncomingMessage

    out_message = IncomingMessage(
        update_id=1,
        message_id=1,
        chat=world_chat(),
        user=user(),
        unsupported=True,
    )
    from tests.helpers.fakes import FakeChatOutput

    out = FakeChatOutput()
    await world.assistant.handle(out_message, out)
    assert out.texts == ["I can't handle this kind of message yet."]
    assert world.model.history == []


def world_chat():
    from telegemini.core.models import ChatRef, ChatType

    return ChatRef(7, ChatType.PRIVATE)
