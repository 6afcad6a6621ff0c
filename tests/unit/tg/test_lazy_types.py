"""aiogram's types built on first use (tg/lazy_types.py): still every type correct, and the
patch fails loudly here when the versions it relies on change."""

from __future__ import annotations

from importlib.metadata import version

from telegemini.tg import lazy_types
from tests.helpers.probe import run_probe

PROBE = """
import telegemini, aiogram.types as types
from pydantic import ValidationError
assert not types.Message.__pydantic_complete__, "built at import: the deferral did not apply"
update = types.Update.model_validate({
    "update_id": 7,
    "message": {"message_id": 5, "date": 1700000000, "text": "hi",
                "chat": {"id": 1, "type": "private"},
                "from": {"id": 1, "is_bot": False, "first_name": "A"},
                "reply_markup": {"inline_keyboard": [[{"text": "b", "callback_data": "x"}]]}}})
assert update.message.reply_markup.inline_keyboard[0][0].callback_data == "x"
assert update.message.model_dump(exclude_none=True)["chat"] == {"id": 1, "type": "private"}
from aiogram.methods import SetMyCommands  # built at import, nesting deferred types
assert SetMyCommands(commands=[], scope=types.BotCommandScopeChat(chat_id=4)).scope.chat_id == 4
import aiogram.methods as methods
assert not methods.SendPhoto.__pydantic_complete__, "methods built at import"
broken = []
for name, cls in [(n, getattr(types, n)) for n in types.__all__] + [
    (n, getattr(methods, n)) for n in methods.__all__ if n != "TelegramMethod"  # abstract
]:
    if hasattr(cls, "model_rebuild"):
        try:
            cls.model_validate({})  # built here, as on a first real use
        except ValidationError:
            pass  # built, and the empty object refused as it should be
        except Exception as exc:
            broken.append(f"{name}: {exc!r}"[:200])
        if not cls.__pydantic_complete__:
            broken.append(f"{name}: not built")
assert not broken, broken
print("ok")
"""


def test_the_versions_the_deferral_was_checked_with_are_the_installed_ones():
    # When this fails, aiogram or pydantic moved: re-check tg/lazy_types.py (the rebuild loop at
    # the end of aiogram/types/__init__.py, pydantic's model_rebuild and parent namespace) and
    # move CHECKED_WITH (elsewhere the deferral switches itself off and aiogram builds as before).
    assert {name: version(name) for name in lazy_types.CHECKED_WITH} == lazy_types.CHECKED_WITH


def test_every_type_still_builds_and_validates_when_first_used():
    run_probe(PROBE)


def test_aiogram_methods_built_at_import_find_the_deferred_types():
    from aiogram.methods import SetMyCommands
    from aiogram.types import BotCommand, BotCommandScopeChat

    method = SetMyCommands(
        commands=[BotCommand(command="start", description="Start")],
        scope=BotCommandScopeChat(chat_id=42),
    )
    assert method.model_dump(exclude_none=True)["scope"] == {"type": "chat", "chat_id": 42}
