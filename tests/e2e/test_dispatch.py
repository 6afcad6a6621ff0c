"""Every handler and filter the dispatcher offers an update to runs on the event loop: aiogram
runs a synchronous one (``F.field``, a plain function) in a worker thread, a thread trip per
update for each of them."""

from __future__ import annotations

from tests.e2e.test_payments import STARS


async def test_no_handler_or_filter_runs_in_a_thread(start_bot):
    bot = await start_bot(**STARS)
    dispatcher = bot.components.dispatcher
    synchronous = []
    for router in dispatcher.chain_tail:
        for name, observer in router.observers.items():
            for handler in observer.handlers:
                for part in [handler, *(handler.filters or [])]:
                    if not part.awaitable:
                        synchronous.append(f"{router.name}.{name}: {part.callback!r}")
    assert synchronous == []
