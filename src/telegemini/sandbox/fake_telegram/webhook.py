"""Webhook delivery: POST pending updates to the bot, several chats at once, each chat in order.

Like Telegram: up to ``max_connections`` (setWebhook, default 40) POSTs are in flight at once,
but the updates of one chat go one after another: a chat's next update is sent only once the
one before it was accepted. Updates without a chat (``pre_checkout_query``, ``subscription``,
an inline keyboard press under an inline message ...) queue by their user; an update with
neither is a queue of its own. The oldest waiting update gets the next free connection.

The body is the Update as JSON with ``Content-Type: application/json`` exactly, and
``X-Telegram-Bot-Api-Secret-Token`` when a secret was set. A non-2xx answer or a connection
error is retried (short, configurable back-off, no connection held meanwhile) before the fake
gives up, records the error for ``getWebhookInfo`` and keeps the update pending: its chat then
waits, the others go on, until something new arrives (an update or a setWebhook) and the chat
is tried again from that update. A setWebhook or deleteWebhook ends the back-off of every
update at once; a POST already under way finishes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any, Literal

import aiohttp

from .models import WebhookAttempt
from .state import FakeState, WebhookConfig, now
from .updates import PendingUpdate, Queue

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
DEFAULT_RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8)

Outcome = Literal["delivered", "gave up", "abandoned"]


class WebhookDeliverer:
    """The background tasks that feed the webhook from the update queue.

    One task waits for news (``state.webhook_kick``) and starts, for every queue whose oldest
    pending update is not being delivered yet, a task delivering that update; when it ends,
    the queue's next update is started. A semaphore per webhook holds the POSTs in flight to
    its ``max_connections``.
    """

    def __init__(
        self,
        state: FakeState,
        *,
        retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS,
        timeout: float = 10.0,
    ) -> None:
        self.state = state
        self.retry_delays = retry_delays
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._busy: dict[Queue, asyncio.Task[None]] = {}  # queue -> the delivery under way
        self._stalled: set[Queue] = set()  # queues given up on: wait for news
        self._news = 0  # kicks seen; a give-up with news meanwhile is retried at once
        self._connections: tuple[WebhookConfig, asyncio.Semaphore] | None = None

    def start(self) -> None:
        """Start delivering (call inside the running loop)."""
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        self._stalled.clear()
        self._task = asyncio.create_task(self._run(), name="fake-telegram-webhook")

    async def stop(self) -> None:
        """Stop delivering (deliveries under way are cancelled) and close the HTTP client."""
        session, self._session = self._session, None  # no new deliveries from here on
        tasks = [*self._busy.values(), *([self._task] if self._task is not None else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = None
        self._busy.clear()
        if session is not None:
            await session.close()

    async def _run(self) -> None:
        while True:
            await self.state.webhook_kick.wait()
            self.state.webhook_kick.clear()
            self._news += 1
            self._stalled.clear()  # something new: try the queues given up on again
            self._dispatch()

    def _dispatch(self, only: Queue | None = None) -> None:
        """Start delivering the oldest pending update of every free queue (of ``only``)."""
        try:
            self._start_free_queues(only)
        except Exception:  # a bug here must not silently end delivery for good
            log.exception("fake Telegram webhook delivery failed")

    def _start_free_queues(self, only: Queue | None) -> None:
        config = self.state.webhook
        if config is None or self._session is None:
            return
        if self._connections is None or self._connections[0] is not config:
            self._connections = (config, asyncio.Semaphore(config.max_connections))
        connections = self._connections[1]
        updates = self.state.updates
        if only is None:
            updates.drop_unwanted()
        seen: set[Queue] = set()
        for entry in updates.pending:
            queue = entry.queue
            if queue in seen or (only is not None and queue != only):
                continue  # a later update of a queue waits for the one before it
            if not updates.is_allowed(entry.update):
                continue  # allowed_updates changed: dropped at the next full round
            seen.add(queue)
            if queue not in self._busy and queue not in self._stalled:
                self._busy[queue] = asyncio.create_task(
                    self._work(queue, entry, config, connections, self._news),
                    name=f"fake-telegram-webhook-{queue[0]}-{queue[1]}",
                )
            if only is not None:
                return

    async def _work(
        self,
        queue: Queue,
        entry: PendingUpdate,
        config: WebhookConfig,
        connections: asyncio.Semaphore,
        news: int,
    ) -> None:
        outcome: Outcome = "gave up"
        try:
            outcome = await self._deliver(entry, config, connections)
        except Exception:  # a bug: treated as a give-up, so it cannot spin
            log.exception("fake Telegram webhook delivery failed")
        finally:
            self._busy.pop(queue, None)
        if outcome == "delivered":
            self.state.updates.remove(entry)
            self.state.changed.notify()
        elif outcome == "gave up" and news == self._news:
            self._stalled.add(queue)
        self._dispatch(queue)  # the other queues are not waiting for this one

    async def _deliver(
        self, entry: PendingUpdate, config: WebhookConfig, connections: asyncio.Semaphore
    ) -> Outcome:
        """Try one update until it is accepted or the retries run out."""
        state = self.state
        last_error = ""
        for delay in (0.0, *self.retry_delays):
            if delay and await state.changed.wait_until(lambda: state.webhook is not config, delay):
                return "abandoned"  # webhook changed or deleted during the back-off
            async with connections:
                if state.webhook is not config:
                    return "abandoned"  # webhook changed or deleted meanwhile
                status, error = await self._post(entry.update, config)
            state.webhook_attempts.append(
                WebhookAttempt(entry.update_id, config.url, status, error, time.monotonic())
            )
            state.emit("webhook", None, {"update_id": entry.update_id, "status": status})
            if status is not None and 200 <= status < 300:
                return "delivered"
            last_error = error or f"Wrong response from the webhook: {status}"
        config.last_error_date = now()
        config.last_error_message = last_error
        state.changed.notify()
        return "gave up"

    async def _post(self, update: dict[str, Any], config: WebhookConfig) -> tuple[int | None, str]:
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if config.secret_token:
            headers[SECRET_HEADER] = config.secret_token
        body = json.dumps(update).encode()
        try:
            async with self._session.post(config.url, data=body, headers=headers) as response:
                await response.read()
                reason = f"{response.status} {response.reason or ''}".strip()
                return response.status, f"Wrong response from the webhook: {reason}"
        except TimeoutError:
            return None, "Read timeout expired"
        except aiohttp.ClientError as exc:
            return None, f"Connection failed: {exc}"
