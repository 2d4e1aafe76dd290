"""Content templates on a new message: `ContentSid` and its `ContentVariables`.

chinwag has no Content API: a template is named, checked for form and remembered
(`content_sid`), not rendered. Rules: the spec (ContentSid `^HX[0-9a-fA-F]{32}$`;
"if this field is set, `Body` and `MediaSid` parameters are ignored"), and
errors/50526, 50527, 50528, 50529, 50540, 50541 for the variables' limits.
"""

from chinwag.twilio import sids
from chinwag.twilio.errors import (
    ContentSidMissing,
    ContentVariableKeyTooLong,
    ContentVariablesNotJson,
    ContentVariablesTooLong,
    ContentVariableValueTooLong,
    InvalidContentSid,
)
from chinwag.twilio.forms import shown
from chinwag.twilio.json_text import NotJson, parse_json

MAX_VARIABLES = 27_801  # characters, the whole text (errors/50529)
MAX_KEY = 16  # errors/50540
MAX_VALUE = 256  # errors/50541


def check_content(content_sid: str | None, variables: str | None) -> str | None:
    """The template SID of a new message (None: no template), its variables checked."""
    if content_sid is None:
        if variables is not None:
            raise ContentSidMissing("ContentVariables are given without a ContentSid.")
        return None
    if not sids.is_sid(content_sid, sids.CONTENT):
        raise InvalidContentSid(
            f"ContentSid '{shown(content_sid)}' does not match the pattern HX[0-9a-f]{{32}}."
        )
    if variables is not None:
        _check_variables(variables)
    return content_sid


def _check_variables(text: str) -> None:
    if len(text) > MAX_VARIABLES:
        raise ContentVariablesTooLong(f"more than {MAX_VARIABLES:,} characters.")
    try:
        value = parse_json(text)
    except NotJson as refused:
        raise ContentVariablesNotJson(
            f"ContentVariables '{shown(text)}' is not a JSON object: {refused}."
        ) from None
    if not isinstance(value, dict):
        raise ContentVariablesNotJson(f"ContentVariables '{shown(text)}' is not a JSON object.")
    for key, item in value.items():
        if len(key) > MAX_KEY:
            raise ContentVariableKeyTooLong(f"'{shown(key)}' is longer than {MAX_KEY} characters.")
        # Twilio's values are strings; a number or a nested value is measured as its JSON.
        if len(item if isinstance(item, str) else str(item)) > MAX_VALUE:
            raise ContentVariableValueTooLong(
                f"the value of '{shown(key)}' is longer than {MAX_VALUE} characters."
            )
