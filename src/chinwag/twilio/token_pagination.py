"""Token pagination, as the Webhooks configuration API pages its lists: `pageSize` and
`pageToken` in; the items under `meta.key`, and `meta.nextToken` / `meta.previousToken`
out (twilio-python's `TokenPagination`, twilio-node's `TokenPage`).

The tokens are this server's keyset cursors, as in pagination.py (`PA<id>`: the rows
after id, `PB<id>`: the rows before it), opaque to clients.
"""

from typing import Any

from chinwag.twilio.errors import ValidationFailed
from chinwag.twilio.forms import MAX_INTEGER, Form, parse_integer, shown
from chinwag.twilio.pagination import DEFAULT_PAGE_SIZE, Page, PageRequest

MAX_PAGE_SIZE = 100  # Twilio gives none; an account has at most 50 of each resource


def parse_token_page(query: Form) -> PageRequest:
    raw_size = query.text("pageSize")
    size = parse_integer(raw_size) if raw_size and raw_size.isdigit() else None
    if raw_size is not None and not size:
        raise ValidationFailed(f"pageSize '{shown(raw_size)}' is not a positive integer.")
    size = min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)  # a large one is capped, not refused
    token = query.text("pageToken")
    if not token:
        return PageRequest(size, 0)
    kind, digits = token[:2], token[2:]
    row_id = parse_integer(digits) if digits.isdigit() else None
    if kind not in ("PA", "PB") or row_id is None or row_id > MAX_INTEGER:
        raise ValidationFailed(f"pageToken '{shown(token)}' is not a token this server issued.")
    if kind == "PA":
        return PageRequest(size, 0, after_id=row_id)
    return PageRequest(size, 0, before_id=row_id)


def token_page(
    key: str, items: list[dict[str, Any]], request: PageRequest, page: Page
) -> dict[str, Any]:
    return {
        key: items,
        "meta": {
            "key": key,
            "pageSize": request.size,
            "nextToken": f"PA{page.last_id}" if page.has_next else None,
            "previousToken": f"PB{page.first_id}" if page.has_previous else None,
        },
    }
