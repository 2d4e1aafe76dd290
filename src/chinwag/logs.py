"""Log output of `chinwag serve` and `chinwag worker`: text or JSON lines, on stderr.

Loggers are named `chinwag.*` and pass their context as `extra` fields
(`logger.warning("delivery attempt failed", extra={"delivery_sid": ...})`). The
JSON format writes one object per line: `ts`, `level`, `logger`, `msg`, then
those fields; the text format appends them as `name=value`, so neither loses them.
"""

import json
import logging
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class LogLevel(StrEnum):
    DEBUG = "debug"  # adds a line per delivered attempt
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


# What every record has; anything else came in through `extra`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {name: value for name, value in vars(record).items() if name not in _STANDARD}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (tracebacks included, as `exc`)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name, value in extra_fields(record).items():
            entry.setdefault(name, value)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        fields = "".join(f" {name}={value}" for name, value in extra_fields(record).items())
        return super().formatMessage(record) + fields


def configure_logging(log_format: LogFormat, level: LogLevel) -> None:
    """Send every logger's records to stderr in `log_format`, from `level` up."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == LogFormat.JSON else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.value.upper())
