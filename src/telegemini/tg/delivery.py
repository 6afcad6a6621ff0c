"""Telegram's answers to a send, as the core understands them: a 403 is ``ChatUnreachable`` (the
user blocked the bot, the bot left the group), a send whose answer was lost is
``DeliveryUncertain`` (the message may have arrived: no apology follows it)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from aiogram.exceptions import (
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
)
from aiohttp import ClientConnectorError

from telegemini.errors import ChatUnreachable, DeliveryUncertain

P = ParamSpec("P")
R = TypeVar("R")


def reachable(
    method: Callable[P, Coroutine[Any, Any, R]],
) -> Callable[P, Coroutine[Any, Any, R]]:
    """Telegram's 403 (blocked by the user, removed from the group) becomes ``ChatUnreachable``,
    the core treats it as the normal event it is; a send whose answer was lost (the pacing
    middleware does not repeat those) becomes ``DeliveryUncertain``: no apology follows a
    message that may have arrived."""

    @functools.wraps(method)
    async def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(*args, **kwargs)
        except TelegramForbiddenError as exc:
            raise ChatUnreachable(exc.message) from exc
        except TelegramNetworkError as exc:
            never_sent = isinstance(exc.__cause__, ClientConnectorError)
            if never_sent or isinstance(exc, TelegramEntityTooLarge):
                raise
            raise DeliveryUncertain(exc.message) from exc

    return call
