"""A message's `delivery` object from its receipts' statuses (domain/receipts.summarize)."""

from dataclasses import astuple

import pytest

from chinwag.domain.receipts import summarize

ROWS = [
    # statuses -> (total, sent, delivered, read, failed, undelivered)
    (["sent"], (1, "all", "none", "none", "none", "none")),
    (["delivered"], (1, "all", "all", "none", "none", "none")),
    (["read"], (1, "all", "all", "all", "none", "none")),
    # undelivered was accepted by the carrier first; failed "could not be sent"
    (["undelivered"], (1, "all", "none", "none", "none", "all")),
    (["failed"], (1, "none", "none", "none", "all", "none")),
    # Twilio's own example: two recipients, one has read it
    (["read", "sent"], (2, "all", "some", "some", "none", "none")),
    (["read", "failed", "undelivered"], (3, "some", "some", "some", "some", "some")),
]


@pytest.mark.parametrize(("statuses", "expected"), ROWS)
def test_each_status_counts_for_the_ones_it_implies(
    statuses: list[str], expected: tuple[int, str, str, str, str, str]
) -> None:
    summary = summarize(statuses)
    assert summary is not None and astuple(summary) == expected


def test_a_message_without_receipts_has_no_summary() -> None:
    assert summarize([]) is None
