"""Twilsock frames: `TWILSOCK V3.0 <n>\r\n<JSON header of n bytes>\r\n<payload>`.

Pure: bytes in, frames out. The header carries `id`, `method` and `payload_size`
(bytes of the payload), maybe `payload_type`; sizes count UTF-8 bytes
(twilsock 1.0.2 `src/parser.ts`, `Parser.createPacket`).
"""

import json
import uuid
from dataclasses import dataclass
from typing import Any

MAGIC = b"TWILSOCK"
VERSION = b"V3.0"
SEPARATOR = b"\r\n"
JSON_TYPE = "application/json"
MAX_SIZE_DIGITS = 9  # a socket message is at most 8 MiB (connection.py), 7 digits


class FrameError(ValueError):
    """Bytes that are no twilsock V3.0 frame; the socket closes with 406."""


@dataclass(frozen=True)
class Frame:
    header: dict[str, Any]
    payload: bytes = b""

    @property
    def method(self) -> str:
        return str(self.header.get("method", ""))

    @property
    def id(self) -> str:
        return str(self.header.get("id", ""))

    def json(self) -> Any:
        """The payload as JSON (None when empty)."""
        if not self.payload:
            return None
        try:
            return json.loads(self.payload)
        except ValueError as error:
            raise FrameError(f"The payload of frame '{self.id}' is not JSON.") from error

    def text(self) -> str:
        return self.payload.decode("utf-8", errors="replace")


def parse(data: bytes | str) -> Frame:
    """One frame from a websocket message; raises FrameError if it is not one."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    end = raw.find(SEPARATOR)
    if end < 0:
        raise FrameError("A twilsock frame starts with 'TWILSOCK V3.0 <size>\\r\\n'.")
    parts = raw[:end].split(b" ")
    if len(parts) != 3 or parts[0] != MAGIC or parts[1] != VERSION or not parts[2].isdigit():
        raise FrameError(f"Unsupported twilsock preamble {raw[:end][:40]!r}.")
    if len(parts[2]) > MAX_SIZE_DIGITS:
        raise FrameError(f"The header size {parts[2][:20]!r}... is larger than any frame.")
    size = int(parts[2])
    start = end + len(SEPARATOR)
    header_bytes = raw[start : start + size]
    if len(header_bytes) != size:
        raise FrameError("The twilsock header is shorter than its preamble says.")
    try:
        header = json.loads(header_bytes)
    except (ValueError, RecursionError) as error:  # RecursionError: nesting too deep
        raise FrameError("The twilsock header is not JSON.") from error
    if not isinstance(header, dict):
        raise FrameError("The twilsock header is not a JSON object.")
    payload_size = header.get("payload_size") or 0
    if not isinstance(payload_size, int) or payload_size < 0:
        raise FrameError("payload_size is not a non-negative integer.")
    payload_start = start + size + len(SEPARATOR)
    payload = raw[payload_start : payload_start + payload_size] if payload_size else b""
    if len(payload) != payload_size:
        raise FrameError("The twilsock payload is shorter than payload_size.")
    return Frame(header, payload)


def encode(header: dict[str, Any], payload: Any = None) -> bytes:
    """A frame with `payload` as JSON (bytes or str are sent as they are); sets payload_size."""
    if payload is None:
        body = b""
    elif isinstance(payload, bytes):
        body = payload
    elif isinstance(payload, str):
        body = payload.encode("utf-8")
    else:
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    full = dict(header)
    full["payload_size"] = len(body)
    if body and "payload_type" not in full:
        full["payload_type"] = JSON_TYPE
    head = json.dumps(full, separators=(",", ":")).encode("utf-8")
    return b"%s %s %d%s%s%s%s" % (MAGIC, VERSION, len(head), SEPARATOR, head, SEPARATOR, body)


def new_id() -> str:
    """An id for a frame the server starts (the SDK's own are `TM<uuid>`)."""
    return f"TM{uuid.uuid4().hex}"
