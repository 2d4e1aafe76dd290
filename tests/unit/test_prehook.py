"""What a pre-event webhook's answer means (delivery/prehook.py), with a fake sender: a
4xx or 5xx answer refuses; no answer, a redirect or an answer that is not a JSON object
lets the change through unchanged; and only the allowed fields of a JSON object change it
(twilio.com/docs/conversations/conversations-webhooks)."""

import asyncio
from dataclasses import replace

import pytest

from chinwag.delivery.prehook import Verdict, ask_pre_hook
from chinwag.delivery.sender import OutboundRequest, SendResult

REQUEST = OutboundRequest(
    "http://hooks.test/pre", "POST", [("EventType", "onMessageAdd")], "t", "k"
)
ALLOWED = frozenset({"body", "author", "attributes"})


class AnsweringSender:
    """Answers every request with `result`, and keeps what it was asked."""

    def __init__(self, result: SendResult) -> None:
        self.result = result
        self.asked: list[OutboundRequest] = []

    async def send(self, request: OutboundRequest) -> SendResult:
        self.asked.append(request)
        return self.result


def verdict(result: SendResult) -> Verdict:
    sender = AnsweringSender(result)
    found = asyncio.run(ask_pre_hook(sender, REQUEST, ALLOWED))
    assert sender.asked == [REQUEST]
    return found


@pytest.mark.parametrize("status", [400, 403, 404, 499, 500, 503, 599])
def test_an_error_status_rejects_the_change_with_that_status(status: int) -> None:
    assert verdict(SendResult(status, None, '{"body": "ignored"}')) == Verdict(rejected_with=status)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308, 304, 399, 101, 600])
def test_a_redirect_or_other_status_is_no_answer_not_a_rejection(
    status: int, caplog: pytest.LogCaptureFixture
) -> None:
    """Twilio names only 40x and 50x as rejections; chinwag follows no redirect, so a 3xx
    leaves it without an answer, and the change goes through unchanged."""
    assert verdict(SendResult(status, None, '{"body": "ignored"}')) == Verdict()
    [record] = caplog.records
    assert "a redirect is not followed" in record.getMessage()
    assert record.__dict__["status"] == status


@pytest.mark.parametrize("error", ["timeout", "connection_refused", "dns"])
def test_no_answer_lets_the_change_through_unchanged(
    error: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert verdict(SendResult(None, error)) == Verdict()
    assert "pre-event webhook gave no answer" in caplog.text


@pytest.mark.parametrize(
    "body",
    ["", "  \n", "{}", "not json", '{"body": ', "[1, 2]", '"text"', "42", "null", "NaN"],
)
def test_an_empty_or_non_object_answer_changes_nothing(body: str) -> None:
    assert verdict(SendResult(200, None, body)) == Verdict()


def test_only_the_allowed_fields_of_an_object_answer_change_the_action() -> None:
    answer = '{"body": "changed", "author": 7, "attributes": null, "friendly_name": "no"}'

    found = verdict(SendResult(200, None, answer))

    assert found == Verdict(changes={"body": "changed", "author": "7"})


def test_any_2xx_with_an_object_changes_the_action() -> None:
    assert verdict(SendResult(204, None, '{"body": "b"}')).changes == {"body": "b"}


def test_no_answer_is_logged_without_the_urls_password(caplog: pytest.LogCaptureFixture) -> None:
    request = replace(REQUEST, url="https://hook-user:s3cret@hooks.test/pre")
    sender = AnsweringSender(SendResult(None, "invalid_url"))
    assert asyncio.run(ask_pre_hook(sender, request, ALLOWED)) == Verdict()
    assert sender.asked == [request]  # the sender is given the URL whole
    [record] = caplog.records
    assert record.__dict__["url"] == "https://hook-user:***@hooks.test/pre"
