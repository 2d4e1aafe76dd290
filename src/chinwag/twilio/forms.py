"""Form parameters as Twilio clients send them: dotted names, repeated keys.

twilio-python sends `Configuration.Filters=a&Configuration.Filters=b`; the names
are literal, so a flat multi-valued mapping is all the structure there is.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from chinwag.twilio.dates import parse_iso8601
from chinwag.twilio.errors import InvalidParameter

E = TypeVar("E", bound=StrEnum)
NUL = "\x00"
# PostgreSQL text cannot hold NUL, and no Twilio value needs one: refused on both engines.
NUL_MESSAGE = "contains a NUL character, which chinwag does not accept."


class Form:
    """Typed access to one request's parameters (query string or form body)."""

    def __init__(self, items: Sequence[tuple[str, str]]) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in items:
            if NUL in name or NUL in value:
                raise InvalidParameter(f"Parameter '{name.replace(NUL, '')}' {NUL_MESSAGE}")
            self._values.setdefault(name, []).append(value)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, str]) -> "Form":
        return cls(list(mapping.items()))

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def names(self) -> set[str]:
        return set(self._values)

    def text(self, name: str) -> str | None:
        """The last value given for `name`, or None when absent."""
        values = self._values.get(name)
        return values[-1] if values else None

    def values(self, name: str) -> list[str] | None:
        """Every value given for `name` in order, or None when absent."""
        values = self._values.get(name)
        return list(values) if values is not None else None

    def integer(self, name: str, minimum: int | None = None) -> int | None:
        raw = self.text(name)
        if raw is None:
            return None
        try:
            value = int(raw.strip())
        except ValueError:
            raise InvalidParameter(f"{name} '{raw}' is not an integer.") from None
        if minimum is not None and value < minimum:
            raise InvalidParameter(f"{name} must be at least {minimum}, got {value}.")
        return value

    def boolean(self, name: str) -> bool | None:
        """`true` or `false` in any case, as twilio-python sends booleans; None when absent."""
        raw = self.text(name)
        if raw is None:
            return None
        value = raw.strip().lower()
        if value not in ("true", "false"):
            raise InvalidParameter(f"{name} '{raw}' is not a boolean (true or false).")
        return value == "true"

    def date(self, name: str) -> datetime | None:
        """An ISO 8601 date-time (naive values are UTC), or None when absent."""
        raw = self.text(name)
        if raw is None:
            return None
        parsed = parse_iso8601(raw)
        if parsed is None:
            raise InvalidParameter(f"{name} '{raw}' is not an ISO 8601 date-time.")
        return parsed

    def choice(self, name: str, kind: type[E], *, ignore_case: bool = False) -> E | None:
        raw = self.text(name)
        if raw is None:
            return None
        candidate = raw.lower() if ignore_case else raw
        try:
            return kind(candidate)
        except ValueError:
            allowed = ", ".join(member.value for member in kind)
            raise InvalidParameter(f"{name} '{raw}' is not one of: {allowed}.") from None
