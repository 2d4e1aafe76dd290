"""Both log formats carry a record's extra fields; JSON is one object per line."""

import json
import logging
import sys

from chinwag.logs import JsonFormatter, TextFormatter

LOGGER = logging.getLogger("chinwag.test")
FIELDS = {"delivery_sid": "abc", "status": 500, "latency_ms": 1.5, "retry_at": None}


def record() -> logging.LogRecord:
    return LOGGER.makeRecord(
        LOGGER.name, logging.WARNING, __file__, 1, "sent %s", ("it",), None, extra=FIELDS
    )


def failure() -> logging.LogRecord:
    try:
        raise ValueError("boom")
    except ValueError:
        return LOGGER.makeRecord(
            LOGGER.name, logging.ERROR, __file__, 1, "lost %s", ("one",), sys.exc_info()
        )


def test_json_lines_have_the_fixed_keys_then_the_extra_fields() -> None:
    line = JsonFormatter().format(record())
    assert "\n" not in line
    entry = json.loads(line)
    assert entry.pop("ts").endswith("+00:00")
    assert entry == {"level": "WARNING", "logger": "chinwag.test", "msg": "sent it", **FIELDS}


def test_a_traceback_stays_inside_its_json_line() -> None:
    line = JsonFormatter().format(failure())
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["msg"] == "lost one" and "ValueError: boom" in entry["exc"]


def test_text_lines_append_the_extra_fields() -> None:
    line = TextFormatter().format(record())
    assert line.endswith(
        " WARNING chinwag.test sent it delivery_sid=abc status=500 latency_ms=1.5 retry_at=None"
    )
