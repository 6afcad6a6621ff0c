"""Webhook delivery: POST each pending update to the bot, in order, one at a time.

Like Telegram: the body is the Update as JSON with ``Content-Type: application/json`` exactly,
``X-Telegram-Bot-Api-Secret-Token`` when a secret was set, and a non-2xx answer or a connection
error is retried (short, configurable back-off) before the fake gives up, records the error for
``getWebhookInfo`` and keeps the update pending until something new arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

import aiohttp

from .models import WebhookAttempt
from .state import FakeState, WebhookConfig, now
from .updates import PendingUpdate

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
DEFAULT_RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8)


class WebhookDeliverer:
    """The background task that feeds the webhook from the update queue."""

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

    def start(self) -> None:
        """Start delivering (call inside the running loop)."""
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        self._task = asyncio.create_task(self._run(), name="fake-telegram-webhook")

    async def stop(self) -> None:
        """Stop delivering and close the HTTP client."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        while True:
            await self.state.webhook_kick.wait()
            self.state.webhook_kick.clear()
            try:
                await self._drain()
            except Exception:  # a bug here must not silently end delivery for good
                log.exception("fake Telegram webhook delivery failed")

    async def _drain(self) -> None:
        state = self.state
        while (config := state.webhook) is not None:
            state.updates.drop_unwanted()
            if not state.updates.pending:
                return
            entry = state.updates.pending[0]
            if not await self._deliver(entry, config):
                return
            state.updates.remove(entry)
            state.changed.notify()

    async def _deliver(self, entry: PendingUpdate, config: WebhookConfig) -> bool:
        """Try one update until it is accepted or the retries run out."""
        last_error = ""
        for delay in (0.0, *self.retry_delays):
            if delay:
                await asyncio.sleep(delay)
            if self.state.webhook is not config:
                return False  # webhook changed or deleted meanwhile
            status, error = await self._post(entry.update, config)
            self.state.webhook_attempts.append(
                WebhookAttempt(entry.update_id, config.url, status, error, time.monotonic())
            )
            self.state.emit("webhook", None, {"update_id": entry.update_id, "status": status})
            if status is not None and 200 <= status < 300:
                return True
            last_error = error or f"Wrong response from the webhook: {status}"
        config.last_error_date = now()
        config.last_error_message = last_error
        self.state.changed.notify()
        return False

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
