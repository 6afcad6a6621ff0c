from __future__ import annotations

import pytest

from telegemini.core.assistant import Assistant, AssistantConfig
from telegemini.core.chat import ChatConfig, ChatService
from telegemini.core.images import ImageService
from telegemini.core.models import (
    ChatKey,
    ChatRef,
    ChatType,
    Command,
    IncomingMessage,
    UserRef,
)
from telegemini.core.voice import VoiceService
from telegemini.errors import ModelRefused, UpstreamBusy
from telegemini.storage.memory import MemoryStore
from tests.helpers.fakes import (
    FakeAudioCodec,
    FakeChatModel,
    FakeChatOutput,
    FakeFileSource,
    FakeImageCodec,
    FakeImageGenerator,
    FakeSpeech,
)


def message(
    text: str = "",
    *,
    command: Command | None = None,
    language: str = "en",
    unsupported: bool = False,
) -> IncomingMessage:
    return IncomingMessage(
        update_id=1,
        message_id=10,
        chat=ChatRef(7, ChatType.PRIVATE),
        user=UserRef(7, "Ada", "ada", language),
        text=text,
        command=command,
        unsupported=unsupported,
    )


def build_assistant(model: FakeChatModel, store: MemoryStore, **config: object) -> Assistant:
    files = FakeFileSource()
    voice = VoiceService(files, FakeAudioCodec(), FakeSpeech())
    images = ImageService(FakeImageGenerator(), FakeImageCodec(), files, store)
    return Assistant(
        ChatService(model, store, ChatConfig(draft_interval=0)),
        store,
        voice,
        images,
        AssistantConfig(**{"voice_replies_default": False, **config}),  # type: ignore[arg-type]
    )


@pytest.fixture
def parts() -> tuple[Assistant, FakeChatModel, MemoryStore]:
    model, store = FakeChatModel(), MemoryStore()
    return build_assistant(model, store), model, store


async def test_start_greets_by_name_in_the_users_language(parts):
    assistant, _, _ = parts
    out = FakeChatOutput()
    await assistant.handle(message(command=Command("start"), language="zh-hans"), out)
    assert out.texts[0].startswith("你好，Ada")
    assert "/reset" in out.texts[0]


async def test_traditional_chinese_users_get_traditional_text(parts):
    assistant, _, _ = parts
    out = FakeChatOutput()
    await assistant.handle(message(command=Command("help"), language="zh-TW"), out)
    assert "我可以做這些" in out.texts[0]


async def test_reset_forgets_the_conversation(parts):
    assistant, _, store = parts
    await assistant.handle(message("hi"), FakeChatOutput())
    assert (await store.load_conversation(ChatKey(7))).head_id is not None
    out = FakeChatOutput()
    await assistant.handle(message(command=Command("new")), out)
    assert (await store.load_conversation(ChatKey(7))).head_id is None
    assert out.texts == ["Fresh start! I've forgotten our previous conversation."]


async def test_busy_model_gives_a_wait_hint(parts):
    assistant, model, _ = parts
    model.enqueue(error=UpstreamBusy("429", retry_after=12))
    out = FakeChatOutput()
    await assistant.handle(message("hi", language="es"), out)
    assert out.texts == ["Gemini está ocupado. Inténtalo de nuevo en unos 12 s."]


async def test_refusal_has_its_own_message(parts):
    assistant, model, _ = parts
    model.enqueue(error=ModelRefused("SAFETY"))
    out = FakeChatOutput()
    await assistant.handle(message("something bad"), out)
    assert "safety" in out.texts[0]


async def test_unexpected_errors_give_a_reference_not_a_traceback(parts, caplog):
    assistant, model, _ = parts
    model.enqueue(error=RuntimeError("kaboom secret internals"))
    out = FakeChatOutput()
    await assistant.handle(message("hi"), out)
    assert "kaboom" not in out.texts[0]
    assert "Traceback" not in out.texts[0]
    ref = out.texts[0].rsplit("ref ", 1)[1].rstrip(")")
    assert any(ref in r.getMessage() and r.exc_info for r in caplog.records)


async def test_unknown_command_points_to_help(parts):
    assistant, _, _ = parts
    out = FakeChatOutput()
    await assistant.handle(message(command=Command("frobnicate")), out)
    assert "/help" in out.texts[0]


async def test_unsupported_media_is_explained(parts):
    assistant, model, _ = parts
    out = FakeChatOutput()
    await assistant.handle(message(unsupported=True), out)
    assert out.texts == ["I can't handle this kind of message yet."]
    assert model.history == []
