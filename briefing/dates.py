"""Dates as they come in (ISO 8601 strings, epoch seconds) to aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_date(value: object) -> datetime | None:
    """An ISO 8601 date or datetime (or epoch seconds) as an aware UTC datetime; None if unparseable."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(float(value), tz=UTC)
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError, OSError):  # not a date, NaN, or beyond what datetime holds
        return None
