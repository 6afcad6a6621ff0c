"""aiogram objects bound to the bot by one flat call (tg/post_init.py): every nested object still
knows its bot, and the patch fails loudly here when the chain it replaces changes shape."""

from __future__ import annotations

from tests.helpers.probe import run_probe

PROBE = """
import telegemini, aiogram.types as types, aiogram.methods as methods
from aiogram import Bot
from telegemini.tg import post_init

# pydantic's chain, as it was checked: wrappers around aiogram's own post-init, _bot alone.
for cls in (types.Update, types.Message, types.Chat, types.User, methods.SendMessage):
    assert post_init.chain_is_plain(cls), cls
flattened = post_init.flatten()
assert flattened > 500, flattened  # the types and the methods
assert post_init.flatten() == 0  # once is enough
assert types.Message.model_post_init is post_init.bind_bot

bot = Bot("42:TOKEN")
message = {"message_id": 5, "date": 1700000000, "text": "hi",
           "chat": {"id": 1, "type": "private"},
           "from": {"id": 1, "is_bot": False, "first_name": "A"},
           "reply_to_message": {"message_id": 4, "date": 1700000000, "text": "before",
                                "chat": {"id": 1, "type": "private"}}}
update = types.Update.model_validate({"update_id": 7, "message": message}, context={"bot": bot})
found = update.message
for bound in (update, found, found.chat, found.from_user, found.reply_to_message,
              found.reply_to_message.chat):
    assert bound.bot is bot, bound
assert types.Update.model_validate({"update_id": 8, "message": message}).message.bot is None
assert found.chat.as_(None).bot is None  # rebinding still works
sent = methods.SendMessage(chat_id=1, text="x")
assert sent.bot is None and sent.model_dump()["text"] == "x"
copy = found.model_copy(update={"text": "changed"})
assert copy.text == "changed" and copy.bot is bot
print("ok")
"""


def test_every_object_still_knows_its_bot_after_the_chains_are_flattened():
    run_probe(PROBE)
