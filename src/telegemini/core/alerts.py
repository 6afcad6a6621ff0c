"""Admin alerts: unhandled errors and upstream outages, at most one per kind every few minutes."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from telegemini.core.models import Alert
from telegemini.core.ports import Messenger

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Window:
    sent_at: float
    suppressed: int = 0


class Alerter:
    """Sends alerts to ``targets`` (ALERT_CHAT_ID, else the admins), throttled per ``key``."""

    def __init__(
        self,
        messenger: Messenger | None,
        targets: Sequence[int],
        *,
        interval: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._messenger = messenger
        self._targets = tuple(targets)
        self._interval = interval
        self._clock = clock
        self._windows: dict[str, _Window] = {}

    def attach(self, messenger: Messenger) -> None:
        """Set the messenger once the adapter that owns it exists."""
        self._messenger = messenger

    async def report(self, key: str, title: str, *, ref: str, details: str = "") -> bool:
        """Send (True) unless an alert of ``key`` went out less than ``interval`` ago, in which
        case it is only counted and mentioned with the next one."""
        now = self._clock()
        window = self._windows.get(key)
        if window is not None and now - window.sent_at < self._interval:
            window.suppressed += 1
            return False
        suppressed = window.suppressed if window is not None else 0
        self._windows[key] = _Window(sent_at=now)
        if self._messenger is None or not self._targets:
            return False
        alert = Alert(title=title, ref=ref, details=details, suppressed=suppressed)
        for chat_id in self._targets:
            try:
                await self._messenger.send_alert(chat_id, alert)
            except Exception:  # an alert must never take the bot down with it
                log.warning("could not deliver an alert to %s", chat_id, exc_info=True)
        return True
