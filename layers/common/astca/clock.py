"""Time in one place: aware UTC datetimes and their RFC 3339 form."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def rfc3339(moment: datetime) -> str:
    """``moment`` as RFC 3339 UTC with a trailing Z, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(value: str) -> datetime:
    """Parse an RFC 3339 timestamp with an offset or Z (ValueError otherwise) into UTC."""
    moment = datetime.fromisoformat(value.replace("z", "Z"))
    if moment.tzinfo is None:
        raise ValueError("timestamp needs a UTC offset or Z")
    return moment.astimezone(UTC)
