"""The base of every Twilio error chinwag raises: its code, status, title and envelope.

Codes and meanings come from twilio.com/docs/api/errors/<code>; those pages do not
print an HTTP status, so validation errors are 400 and missing resources 404.

A class with a `title` (its error page's title, without the "Programmable Chat:" or
"Conversations:" product label) starts every message with it, word for word, and
adds the raise's detail after it: apps match on Twilio's wording (`indexOf('Participant
already exists')`), and the detail still names the parameter and quotes the value.
"""

from typing import Any, ClassVar

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"


class TwilioError(Exception):
    code: ClassVar[int] = 20001
    status: ClassVar[int] = 400
    title: ClassVar[str | None] = None
    content_type: ClassVar[str] = "application/json"  # of the envelope

    def __init__(self, detail: str = "") -> None:
        self.detail = detail
        self.message = _message(self.title, detail)
        super().__init__(self.message)

    def in_participant(self, number: int) -> "TwilioError":
        """The same error, said of the `number`th `Participant` of ConversationWithParticipants."""
        where = f"Participant {number}"
        return type(self)(f"{where}: {self.detail}" if self.detail else where)

    def envelope(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": MORE_INFO.format(code=self.code),
            "status": self.status,
        }


def _message(title: str | None, detail: str) -> str:
    if title is None or not detail:
        return title or detail
    # "Title: detail", or "Title. detail" where Twilio's title is itself a sentence.
    return f"{title} {detail}" if title.endswith(".") else f"{title}: {detail}"
