"""The dashboard's Event Streams page: the account's sinks, what each subscribes to, and
its latest deliveries (the deliveries page, filtered by the sink, has them all).

Read-only, as the Configuration page is: sinks are made through the Events REST API.
"""

from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import Connection

from chinwag.request_context import database
from chinwag.store import sinks as sink_store
from chinwag.store import subscriptions as subscription_store
from chinwag.store.deliveries import DeliveryFilter, DeliveryRecord
from chinwag.store.sinks import Sink
from chinwag.store.subscriptions import SubscribedEvent, Subscription
from chinwag.ui import changes
from chinwag.ui.pages import EVERYTHING, render
from chinwag.ui.sessions import Session, page

LATEST = 5  # deliveries shown per sink


@dataclass(frozen=True)
class SinkView:
    sink: Sink
    subscriptions: list[tuple[Subscription, list[SubscribedEvent]]]
    deliveries: list[DeliveryRecord]


def _sinks(conn: Connection, account_sid: str) -> list[SinkView]:
    views = []
    for sink in sink_store.list_sinks(conn, account_sid, EVERYTHING).rows:
        subscriptions = subscription_store.list_subscriptions(
            conn, account_sid, EVERYTHING, sink.sid
        ).rows
        where = DeliveryFilter(account_sid=account_sid, webhook_sids=(sink.sid,))
        views.append(
            SinkView(
                sink,
                [
                    (s, subscription_store.list_events(conn, s.sid, EVERYTHING).rows)
                    for s in subscriptions
                ],
                changes.recent_deliveries(conn, where)[:LATEST],
            )
        )
    return views


@page
async def sinks(request: web.Request, session: Session) -> web.Response:
    found = await database(request).read(_sinks, session.account.sid)
    return render(request, session, "sinks.html", sinks=found)
