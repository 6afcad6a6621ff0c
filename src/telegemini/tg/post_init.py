"""One call, not a chain, to bind each validated aiogram object to the bot.

Every aiogram type and method is a ``BotContextController``: after validation pydantic calls its
``model_post_init``, which keeps the bot from the validation context in the private ``_bot``.
pydantic wraps that method again in every subclass (``wrapped_model_post_init``: private
attributes set up, then the parent's method, itself wrapped), so a ``Message`` runs a chain of
four Python calls, for each nested object (its chat, its sender, the message it answers...).
Measured (aiogram 3.31.0, pydantic 2.13.5): an incoming text ``Update`` validated in ~50 µs, of
which the chains took about half; the same with one flat call per object: ~27 µs.

``flatten`` gives each class whose chain is only that (its one private attribute ``_bot``, and
no ``model_post_init`` of its own anywhere below ``BotContextController``) a single function that
does what the chain does. pydantic-core looks the method up by name on each call, so classes
already built take it too. It relies on pydantic's private wrapping, so it applies only on the
versions it was checked with (``lazy_types.CHECKED_WITH``), and
``tests/unit/tg/test_post_init.py`` fails when the chain changes shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram.client.context_controller import BotContextController

from telegemini.tg.lazy_types import versions_checked


def bind_bot(self: BotContextController, context: Any, /) -> None:
    """What the chain does: the private attributes (``_bot`` alone, without a default), then
    the bot from the validation context."""
    bot = context.get("bot") if context else None
    private = getattr(self, "__pydantic_private__", None)
    if private is None:
        object.__setattr__(self, "__pydantic_private__", {"_bot": bot})
    else:
        private["_bot"] = bot


def _unwrapped(method: Callable[..., Any]) -> Callable[..., Any]:
    """The function at the end of pydantic's wrappers (each made with ``functools.wraps``)."""
    while hasattr(method, "__wrapped__"):
        method = method.__wrapped__
    return method


def chain_is_plain(cls: type[BotContextController]) -> bool:
    """Whether ``cls``'s post-init is pydantic's wrappers around ``BotContextController``'s own,
    with ``_bot`` its only private attribute."""
    if set(cls.__private_attributes__) != {"_bot"}:
        return False
    if cls.__private_attributes__["_bot"].default_factory is not None:
        return False
    return _unwrapped(cls.model_post_init) is _ORIGINAL


# The function every chain ends in: aiogram's own (pydantic wrapped it in its class too).
_ORIGINAL = _unwrapped(BotContextController.__dict__["model_post_init"])


def flatten() -> int:
    """Give every loaded subclass with a plain chain the flat ``bind_bot``; how many took it."""
    if not versions_checked():
        return 0
    flattened = 0
    seen: set[type] = set()
    pending: list[type[BotContextController]] = list(BotContextController.__subclasses__())
    while pending:
        cls = pending.pop()
        if cls in seen:
            continue
        seen.add(cls)
        pending.extend(cls.__subclasses__())
        if cls.__dict__.get("model_post_init") is bind_bot or not chain_is_plain(cls):
            continue
        cls.model_post_init = bind_bot  # type: ignore[assignment,method-assign]
        flattened += 1
    return flattened
