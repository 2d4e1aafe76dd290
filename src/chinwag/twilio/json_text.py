"""JSON carried in a parameter (`Attributes`, a `Participant` object): RFC 8259, not Python's.

Python's `json.loads` accepts `NaN`, `Infinity` and `-Infinity`, which are not JSON
(RFC 8259 section 6; JavaScript's `JSON.parse` refuses them, so a Twilio SDK client
could not read them back), and it recurses once per nesting level, so `[[[[...`
a thousand deep raises RecursionError. Nesting is therefore measured first, by a
loop over the text, and the constants are refused while parsing.
"""

import json
from typing import Any

# Deep enough for any real document; far below where Python's parser recurses out.
MAX_DEPTH = 100


class NotJson(ValueError):
    """The text is not JSON chinwag accepts; the message says why, in a sentence."""


def parse_json(text: str) -> Any:
    """The value `text` holds, or NotJson (malformed, too deep, or NaN/Infinity)."""
    depth = nesting_depth(text)
    if depth > MAX_DEPTH:
        raise NotJson(f"it is nested {depth} levels deep; at most {MAX_DEPTH} are accepted")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except NotJson:
        raise
    except ValueError as error:
        raise NotJson("it is not valid JSON") from error


def nesting_depth(text: str) -> int:
    """The deepest nesting of `[` and `{` outside strings, counted without recursion.

    Brackets need not balance: a malformed text is refused by the parser afterwards.
    """
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _refuse_constant(name: str) -> Any:
    raise NotJson(f"{name} is not a JSON value (RFC 8259)")
