"""Twilio list pagination: PageSize, Page, PageToken in; the `meta` object out.

PageToken is a keyset cursor (`PA<id>`: rows after id, `PB<id>`: rows before id),
so following next/previous links stays correct while rows are added or deleted.
Without a token, `Page` is an offset of whole pages.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from chinwag.twilio.errors import InvalidPageToken
from chinwag.twilio.forms import MAX_INTEGER, Form, parse_integer, shown

DEFAULT_PAGE_SIZE = 50
# A list's filters, echoed in its paging URLs; a repeated filter (Bindings' `Identity`)
# is repeated there too.
Filters = Mapping[str, str | Sequence[str]]

# Page is an offset in whole pages; bounded so that Page x PageSize stays far inside
# the 64-bit OFFSET both databases take (a larger Page answered 500 before).
MAX_PAGE = 2**31 - 1


@dataclass(frozen=True)
class PageRequest:
    size: int
    page: int
    after_id: int | None = None
    before_id: int | None = None

    @property
    def offset(self) -> int:
        """Rows to skip; only meaningful when no cursor is given."""
        cursor = self.after_id is not None or self.before_id is not None
        return 0 if cursor else self.page * self.size


@dataclass(frozen=True)
class Page:
    """One page of rows, with the ids that the neighbouring links continue from."""

    rows: list[Any]
    first_id: int | None
    last_id: int | None
    has_next: bool
    has_previous: bool


def parse_page_request(query: Form, max_size: int) -> PageRequest:
    size = query.integer("PageSize", minimum=1, maximum=None)
    # twilio-python's list(limit=N) sends PageSize=N, so a large value is capped, not refused.
    size = min(size if size is not None else min(DEFAULT_PAGE_SIZE, max_size), max_size)
    page = query.integer("Page", minimum=0, maximum=MAX_PAGE) or 0
    token = query.text("PageToken")
    if not token:
        return PageRequest(size, page)
    kind, digits = token[:2], token[2:]
    row_id = parse_integer(digits) if digits.isdigit() else None  # no sign, no spaces
    if kind not in ("PA", "PB") or row_id is None or row_id > MAX_INTEGER:
        raise InvalidPageToken(
            f"PageToken '{shown(token)}' is not a page token this server issued."
        )
    if kind == "PA":
        return PageRequest(size, page, after_id=row_id)
    return PageRequest(size, page, before_id=row_id)


def build_meta(
    *,
    key: str,
    list_url: str,
    request: PageRequest,
    page: Page,
    filters: Filters,
) -> dict[str, Any]:
    def link(page_number: int, token: str | None) -> str:
        params: dict[str, str | Sequence[str]] = {
            **filters,
            "PageSize": str(request.size),
            "Page": str(page_number),
        }
        if token:
            params["PageToken"] = token
        return f"{list_url}?{urlencode(params, doseq=True)}"

    current_token = None
    if request.after_id is not None:
        current_token = f"PA{request.after_id}"
    elif request.before_id is not None:
        current_token = f"PB{request.before_id}"
    return {
        "page": request.page,
        "page_size": request.size,
        "first_page_url": link(0, None),
        "previous_page_url": (
            link(max(request.page - 1, 0), f"PB{page.first_id}") if page.has_previous else None
        ),
        "url": link(request.page, current_token),
        # With a token, Page only labels the page: kept within what parse_page_request takes.
        "next_page_url": (
            link(min(request.page + 1, MAX_PAGE), f"PA{page.last_id}") if page.has_next else None
        ),
        "key": key,
    }
