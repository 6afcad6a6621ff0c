"""Time as the storage layer keeps it: timezone-aware UTC in, epoch seconds out."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def epoch(value: datetime) -> float:
    """Seconds since the epoch of a stored time (SQLite hands back naive UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()
