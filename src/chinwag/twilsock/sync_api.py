"""The Sync (`cds`) endpoints tunnelled requests reach: objects, their item pages, and
subscriptions (whose events connection.py sends). Each is
`endpoint(tunnel, request, **path_args) -> (status, body)`, as client_api.py's.
"""

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from chinwag.twilio.errors import InvalidParameter, ResourceNotFound
from chinwag.twilsock import sync_shapes
from chinwag.twilsock.router import TunnelledRequest

if TYPE_CHECKING:
    from chinwag.twilsock.connection import Tunnel

Reply = tuple[int, Any]
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 100  # Sync items pages


async def sync_object(tunnel: "Tunnel", request: TunnelledRequest, kind: str, object: str) -> Reply:
    found = await tunnel.read(sync_shapes.read_object, object)
    if found is None or sync_shapes.KINDS.get(found.kind) != kind:
        raise ResourceNotFound(f"Sync object '{object}' was not found.")
    with_items = request.params.get("Include") == "items"
    if with_items and found.kind == "list":  # its first page, as `sync_items` reads it
        page = await tunnel.read(sync_shapes.messages_page, object, None, False, MAX_PAGE_SIZE)
        found = replace(found, items=page[0].items) if page else found
    return 200, found.descriptor(with_items=with_items)


async def sync_items(tunnel: "Tunnel", request: TunnelledRequest, kind: str, object: str) -> Reply:
    """A page of items: `Index`/`Key` for one, else `From` (inclusive), `Order`, `PageSize`
    (twilio-sync src/synclist.ts `_queryItemsFromServer`). A list's page is read as such
    from the database; a map (a roster, the user's conversations) is small and read whole."""
    params = request.params
    descending = params.get("Order") == "desc"
    size = min(_index(params.get("PageSize") or "") or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    if kind == "Lists":
        return 200, await _list_items(tunnel, object, params, descending, size)
    found = await tunnel.read(sync_shapes.read_object, object)
    if found is None or sync_shapes.KINDS.get(found.kind) != kind:
        raise ResourceNotFound(f"Sync object '{object}' was not found.")
    keys = sorted(found.items)
    one = params.get("Key")
    if one is not None:
        return 200, _items_page(found, [one] if one in found.items else [], False, False)
    ordered = list(reversed(keys)) if descending else keys
    start = 0
    origin = params.get("From")
    if origin is not None:
        start = next(
            (
                n
                for n, key in enumerate(ordered)
                if (key <= origin if descending else key >= origin)
            ),
            len(ordered),
        )
    chosen = ordered[start : start + size]
    return 200, _items_page(found, chosen, start > 0, start + size < len(ordered))


async def _list_items(
    tunnel: "Tunnel", object: str, params: dict[str, str], descending: bool, size: int
) -> dict[str, Any]:
    one = params.get("Index")
    given = params.get("From") if one is None else one
    first = None if given is None else _index(given)
    if given is not None and first is None:
        raise InvalidParameter(f"'{given}' is not an item index.")
    page = await tunnel.read(
        sync_shapes.messages_page, object, first, descending, 1 if one is not None else size
    )
    if page is None:
        raise ResourceNotFound(f"Sync object '{object}' was not found.")
    found, before, after = page
    if one is not None:
        return _items_page(found, [first] if first in found.items else [], False, False)
    return _items_page(found, sorted(found.items, reverse=descending), before, after)


def _index(text: str) -> int | None:
    """A list index or page size: ASCII digits (int() also takes "²" and "1_0") up to the
    largest message index, else None."""
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        return None
    return int(text) if int(text) <= sync_shapes.LAST_INDEX else None


def _items_page(found: Any, keys: list[Any], before: bool, after: bool) -> dict[str, Any]:
    return {
        "items": [found.item_json(key) for key in keys],
        "meta": {
            "previous_token": "p" if before else None,
            "next_token": "n" if after else None,
        },
    }


async def subscriptions(tunnel: "Tunnel", request: TunnelledRequest) -> Reply:
    """Answered at once; the events follow as notifications (twilio-sync src/subscriptions.ts)."""
    given = request.json()
    requests = given.get("requests") or []
    if not isinstance(requests, list) or not all(isinstance(one, dict) for one in requests):
        raise InvalidParameter("requests must be a list of JSON objects.")
    tunnel.schedule_subscriptions(str(given.get("action")), given.get("correlation_id"), requests)
    return 200, {"max_batch_size": 100, "ttl_in_s": 0, "estimated_delivery_in_ms": 5000}
