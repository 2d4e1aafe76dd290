"""Subscription resource (Event Streams): /v1/Subscriptions and each one's SubscribedEvents.

twilio-python's `client.events.v1.subscriptions` calls these (docs/events.md).
"""

from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from chinwag.domain import subscriptions as domain
from chinwag.request_context import base_url, database, read_form, read_query
from chinwag.resources.addressing import list_in_account
from chinwag.resources.common import account, json_response, list_response
from chinwag.store import subscriptions as store
from chinwag.store.subscriptions import SubscribedEvent, Subscription
from chinwag.twilio.dates import to_json
from chinwag.twilio.errors import ResourceNotFound
from chinwag.twilio.forms import Form
from chinwag.twilio.pagination import Page, PageRequest, parse_page_request

MAX_PAGE_SIZE = 1000  # spec: PageSize maximum 1000


def subscription_json(subscription: Subscription, base: str) -> dict[str, Any]:
    url = f"{base}/v1/Subscriptions/{subscription.sid}"
    return {
        "account_sid": subscription.account_sid,
        "sid": subscription.sid,
        "date_created": to_json(subscription.date_created),
        "date_updated": to_json(subscription.date_updated),
        "description": subscription.description,
        "sink_sid": subscription.sink_sid,
        "url": url,
        "links": {"subscribed_events": f"{url}/SubscribedEvents"},
    }


def subscribed_event_json(event: SubscribedEvent, base: str) -> dict[str, Any]:
    return {
        "account_sid": event.account_sid,
        "type": event.type,
        "schema_version": event.schema_version,
        "subscription_sid": event.subscription_sid,
        "url": f"{base}/v1/Subscriptions/{event.subscription_sid}/SubscribedEvents/{event.type}",
    }


def _subscription(conn: Connection, account_sid: str, sid: str, path: str) -> Subscription:
    return domain.find_subscription(conn, account_sid, sid, ResourceNotFound.for_path(path))


async def create(request: web.Request) -> web.Response:
    form = await read_form(request)
    owner = account(request).sid
    subscription = await database(request).write(
        domain.create_subscription,
        owner,
        form.text("Description"),
        form.text("SinkSid"),
        form.values("Types"),
    )
    return json_response(subscription_json(subscription, base_url(request)), 201)


async def fetch(request: web.Request) -> web.Response:
    owner, sid = account(request).sid, request.match_info["Sid"]
    subscription = await database(request).read(_subscription, owner, sid, request.path)
    return json_response(subscription_json(subscription, base_url(request)))


async def update(request: web.Request) -> web.Response:
    description = (await read_form(request)).text("Description")
    owner, sid = account(request).sid, request.match_info["Sid"]

    def work(conn: Connection) -> Subscription:
        found = _subscription(conn, owner, sid, request.path)
        return domain.update_subscription(conn, found, description)

    subscription = await database(request).write(work)
    return json_response(subscription_json(subscription, base_url(request)))


async def delete(request: web.Request) -> web.Response:
    owner, sid = account(request).sid, request.match_info["Sid"]

    def work(conn: Connection) -> None:
        domain.delete_subscription(conn, _subscription(conn, owner, sid, request.path))

    await database(request).write(work)
    return web.Response(status=204)


async def list_(request: web.Request) -> web.Response:
    query = read_query(request)
    page_request = parse_page_request(query, MAX_PAGE_SIZE)
    sink_sid = query.text("SinkSid")

    def fetch_page(conn: Connection, account_sid: str, page: PageRequest) -> Page:
        return store.list_subscriptions(conn, account_sid, page, sink_sid)

    filters = {"SinkSid": sink_sid} if sink_sid else None
    return await list_in_account(
        request,
        "subscriptions",
        "Subscriptions",
        page_request,
        fetch_page,
        subscription_json,
        filters,
    )


# SubscribedEvents: the types of one subscription, addressed by type.


def _version(form: Form) -> int | None:
    return form.integer("SchemaVersion")


async def create_event(request: web.Request) -> web.Response:
    form = await read_form(request)
    owner, sid = account(request).sid, request.match_info["SubscriptionSid"]

    def work(conn: Connection) -> tuple[SubscribedEvent, bool]:
        found = _subscription(conn, owner, sid, request.path)
        return domain.subscribe(conn, found, form.text("Type"), _version(form))

    event, created = await database(request).write(work)
    return json_response(subscribed_event_json(event, base_url(request)), 201 if created else 200)


def _event(conn: Connection, account_sid: str, request: web.Request) -> SubscribedEvent:
    found = _subscription(conn, account_sid, request.match_info["SubscriptionSid"], request.path)
    missing = ResourceNotFound.for_path(request.path)
    return domain.find_event(conn, found, request.match_info["Type"], missing)


async def fetch_event(request: web.Request) -> web.Response:
    event = await database(request).read(_event, account(request).sid, request)
    return json_response(subscribed_event_json(event, base_url(request)))


async def update_event(request: web.Request) -> web.Response:
    version = _version(await read_form(request))
    owner = account(request).sid

    def work(conn: Connection) -> SubscribedEvent:
        return domain.set_version(conn, _event(conn, owner, request), version)

    event = await database(request).write(work)
    return json_response(subscribed_event_json(event, base_url(request)))


async def delete_event(request: web.Request) -> web.Response:
    owner = account(request).sid

    def work(conn: Connection) -> None:
        domain.unsubscribe(conn, _event(conn, owner, request))

    await database(request).write(work)
    return web.Response(status=204)


async def list_events(request: web.Request) -> web.Response:
    query = read_query(request)
    page_request = parse_page_request(query, MAX_PAGE_SIZE)
    owner, sid = account(request).sid, request.match_info["SubscriptionSid"]

    def work(conn: Connection) -> Page:
        found = _subscription(conn, owner, sid, request.path)
        return store.list_events(conn, found.sid, page_request)

    page = await database(request).read(work)
    base = base_url(request)
    return list_response(
        "types",
        [subscribed_event_json(event, base) for event in page.rows],
        f"{base}/v1/Subscriptions/{sid}/SubscribedEvents",
        page_request,
        page,
    )
