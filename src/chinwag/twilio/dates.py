"""Dates and durations as Twilio writes and reads them.

REST JSON uses exactly `YYYY-MM-DDTHH:MM:SSZ`: twilio-python parses nothing else
and leaves any other format as a raw string. Webhook payloads add milliseconds.
Dates are kept to the years 0001-9999 in UTC, so that each one is written with a
four-digit year and no offset can push it out of Python's range.
"""

from datetime import UTC, datetime, timedelta

import isodate

FIRST_DATE = datetime(1, 1, 1, tzinfo=UTC)
LAST_DATE = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_json(value: datetime | None) -> str | None:
    if value is None:
        return None
    return _to_seconds(value.astimezone(UTC)) + "Z"


def to_webhook(value: datetime) -> str:
    """Webhook payloads carry milliseconds, unlike REST JSON: `2021-08-10T18:00:58.111Z`."""
    utc = value.astimezone(UTC)
    return f"{_to_seconds(utc)}.{utc.microsecond // 1000:03d}Z"


def _to_seconds(utc: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS`: isoformat pads the year to four digits (strftime's %Y writes
    year 165 as "165"), in C; the first 19 characters leave out the offset and fraction."""
    return utc.isoformat(timespec="seconds")[:19]


def parse_iso8601(value: str) -> datetime | None:
    """A client-supplied ISO 8601 date-time in UTC (naive values are taken as UTC);
    None if it is not one, or if it falls outside the years 0001-9999 once in UTC."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # e.g. 0001-01-01T00:00:00+14:00 is in year 0
        return None


def parse_duration(value: str, now: datetime) -> timedelta | None:
    """An ISO 8601 duration (`PT10M`, `P1D`, `P1Y2M`), or None if it is not one.

    Years and months are counted from `now`. A duration too long for a date to hold
    comes back as `timedelta.max`, for the caller's maximum to refuse.
    """
    try:
        parsed: timedelta | isodate.Duration = isodate.parse_duration(value.strip())
    except (isodate.ISO8601Error, ValueError):
        return None
    except OverflowError:  # days or seconds beyond timedelta's range
        return timedelta.max
    if isinstance(parsed, timedelta):
        return parsed
    if parsed.years % 1 or parsed.months % 1:  # no calendar has half a month
        return None
    try:
        anchored: timedelta = (now + parsed) - now
    except (ValueError, OverflowError):  # years past 9999
        return timedelta.max
    return anchored
