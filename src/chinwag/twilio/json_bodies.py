"""A JSON request body, read strictly: what forms.py is to the rest of Twilio's API.

The Webhooks configuration API takes a JSON object with camelCase names (twilio-python
and twilio-node send `Content-Type: application/json`). Each accessor returns None for a
field left out or `null`, and refuses a value of the wrong type with Twilio's 59000
Validation Error, naming the field by its path (`connection.readTimeoutMs`). Fields
chinwag does not know are ignored.
"""

from typing import Any

from chinwag.twilio.errors import ValidationFailed
from chinwag.twilio.forms import NUL, NUL_MESSAGE
from chinwag.twilio.json_text import NotJson, parse_json


class JsonBody:
    def __init__(self, value: dict[str, Any], path: str = "") -> None:
        self._value = value
        self._path = path

    @classmethod
    def parse(cls, raw: bytes) -> "JsonBody":
        """The body's object; an empty body is an empty object."""
        try:
            value = parse_json(raw.decode("utf-8")) if raw.strip() else {}
        except (UnicodeDecodeError, NotJson) as error:
            raise ValidationFailed(f"The request body is not a JSON object: {error}.") from None
        if not isinstance(value, dict):
            raise ValidationFailed("The request body is not a JSON object.")
        return cls(value)

    def name_of(self, field: str) -> str:
        return f"{self._path}.{field}" if self._path else field

    def has(self, field: str) -> bool:
        return self._value.get(field) is not None

    def value(self, field: str) -> Any:
        """The field as given (a JSON value), or None."""
        return self._value.get(field)

    def text(self, field: str) -> str | None:
        value: str | None = self._typed(field, str, "a string")
        if value is not None and NUL in value:  # JSON escapes one (\u0000); stores take none
            raise ValidationFailed(f"{self.name_of(field)} {NUL_MESSAGE}")
        return value

    def integer(self, field: str) -> int | None:
        value = self._value.get(field)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationFailed(f"{self.name_of(field)} must be an integer, not {value!r}.")
        return value

    def object(self, field: str) -> "JsonBody | None":
        value = self._typed(field, dict, "an object")
        return None if value is None else JsonBody(value, self.name_of(field))

    def objects(self, field: str) -> list["JsonBody"] | None:
        items = self._typed(field, list, "an array")
        if items is None:
            return None
        found = []
        for number, item in enumerate(items):
            name = f"{self.name_of(field)}[{number}]"
            if not isinstance(item, dict):
                raise ValidationFailed(f"{name} must be an object.")
            found.append(JsonBody(item, name))
        return found

    def texts(self, field: str) -> list[str] | None:
        items: list[str] | None = self._typed(field, list, "an array")
        if items is not None and not all(
            isinstance(item, str) and NUL not in item for item in items
        ):
            raise ValidationFailed(f"{self.name_of(field)} must be an array of strings.")
        return items

    def _typed(self, field: str, kind: type, described: str) -> Any:
        value = self._value.get(field)
        if value is not None and not isinstance(value, kind):
            raise ValidationFailed(f"{self.name_of(field)} must be {described}, not {value!r}.")
        return value
