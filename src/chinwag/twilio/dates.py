"""Dates as Twilio writes them.

REST JSON uses exactly `YYYY-MM-DDTHH:MM:SSZ`: twilio-python parses nothing else
and leaves any other format as a raw string. Webhook payloads add milliseconds.
"""

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_json(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_webhook(value: datetime) -> str:
    """Webhook payloads carry milliseconds, unlike REST JSON: `2021-08-10T18:00:58.111Z`."""
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_iso8601(value: str) -> datetime | None:
    """Parse a client-supplied ISO 8601 date-time; naive values are taken as UTC."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
