"""Form parameters as Twilio clients send them: dotted names, repeated keys.

twilio-python sends `Configuration.Filters=a&Configuration.Filters=b`; the names
are literal, so a flat multi-valued mapping is all the structure there is.
Bodies and query strings are UTF-8 (`parse_urlencoded`); integers are ASCII digits
within bounds, so no value reaches the database that it cannot hold.
"""

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import TypeVar
from urllib.parse import parse_qsl

from chinwag.twilio.dates import FIRST_DATE, LAST_DATE, parse_iso8601, to_json
from chinwag.twilio.errors import InvalidParameter, TooManyParameters, TwilioError

E = TypeVar("E", bound=StrEnum)
NUL = "\x00"
# PostgreSQL text cannot hold NUL, and no Twilio value needs one: refused on both engines.
NUL_MESSAGE = "contains a NUL character, which chinwag does not accept."
# The most parameters one request may carry: aiohttp's default, and far above any
# Twilio operation's (ConversationWithParticipants: 10 Participant values and a dozen more).
MAX_PARAMETERS = 1000
# Integers are what a 64-bit database column holds; more digits are refused unread.
MAX_INTEGER = 2**63 - 1
# What an `Integer` column (32-bit on PostgreSQL) holds: every integer parameter chinwag
# stores (indexes, error codes, counts) is one, so larger values are refused, not a 500.
MAX_STORED_INTEGER = 2**31 - 1
# ASCII only (int() would take "٣" or "1_0"), and short enough for int() to read at once.
_INTEGER = re.compile(r"[+-]?[0-9]{1,100}")
_SHOWN = 64  # characters of a refused value quoted back in a message


def shown(value: str) -> str:
    """`value` for an error message, cut short: a refused value may be megabytes long."""
    return value if len(value) <= _SHOWN else value[:_SHOWN] + "..."


def parse_urlencoded(body: bytes) -> list[tuple[str, str]]:
    """`application/x-www-form-urlencoded` bytes (a body or a raw query string) as
    (name, value) pairs, `+` as space; invalid UTF-8, raw or percent-encoded, is refused.

    aiohttp would decode `%FF` as U+FFFD and store it: a value that was never sent.
    """
    try:
        text = body.decode("utf-8")
        return parse_qsl(
            text,
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_PARAMETERS,
        )
    except UnicodeDecodeError:
        raise InvalidParameter(
            "The request is not UTF-8: a byte sequence, raw or percent-encoded, is not valid UTF-8."
        ) from None
    except ValueError:  # parse_qsl's "Max number of fields exceeded"
        raise TooManyParameters(
            f"The request has more than {MAX_PARAMETERS} parameters, "
            "more than chinwag accepts in one request."
        ) from None


def check_length(name: str, value: str | None, maximum: int) -> None:
    """A free-text parameter of at most `maximum` characters (Twilio counts characters)."""
    if value is not None and len(value) > maximum:
        raise InvalidParameter(f"{name} is longer than {maximum} characters.")


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

    def integer(
        self, name: str, minimum: int | None = None, maximum: int | None = MAX_STORED_INTEGER
    ) -> int | None:
        """An integer in ASCII digits from `minimum` to `maximum` (None: any size, for a
        caller that caps it), or None when absent."""
        raw = self.text(name)
        if raw is None:
            return None
        value = parse_integer(raw)
        if value is None:
            raise InvalidParameter(f"{name} '{shown(raw)}' is not an integer.")
        if minimum is not None and value < minimum:
            raise InvalidParameter(f"{name} must be at least {minimum}, got {value}.")
        if maximum is not None and value > maximum:
            raise InvalidParameter(f"{name} must be at most {maximum}, got {value}.")
        return value

    def boolean(self, name: str) -> bool | None:
        """`true` or `false` in any case (twilio-python and twilio-node send lower case)."""
        raw = self.text(name)
        if raw is None:
            return None
        value = raw.strip().lower()
        if value not in ("true", "false"):
            raise InvalidParameter(f"{name} '{raw}' is not true or false.")
        return value == "true"

    def date(self, name: str) -> datetime | None:
        """An ISO 8601 date-time (naive values are UTC), or None when absent."""
        raw = self.text(name)
        if raw is None:
            return None
        parsed = parse_iso8601(raw)
        if parsed is None:
            raise InvalidParameter(
                f"{name} '{shown(raw)}' is not an ISO 8601 date-time from "
                f"{to_json(FIRST_DATE)} to {to_json(LAST_DATE)}."
            )
        return parsed

    def choice(
        self,
        name: str,
        kind: type[E],
        *,
        ignore_case: bool = False,
        invalid: type[TwilioError] = InvalidParameter,
    ) -> E | None:
        """A member of `kind`, or None when absent; any other value raises `invalid`
        (20001 unless the parameter has a code of its own, as `State` has 50378)."""
        raw = self.text(name)
        if raw is None:
            return None
        candidate = raw.lower() if ignore_case else raw
        try:
            return kind(candidate)
        except ValueError:
            allowed = ", ".join(member.value for member in kind)
            raise invalid(f"{name} '{shown(raw)}' is not one of: {allowed}.") from None


def parse_integer(raw: str) -> int | None:
    """ASCII digits with an optional sign (at most 100), else None; the caller bounds it."""
    text = raw.strip()
    return int(text) if _INTEGER.fullmatch(text) else None
