"""What the SDK reads beside messages, at the frame level: a message's delivery summary
in its Sync item (`aggregatedDeliveryReceipt`), updated live when a receipt moves; its
detailed receipts (`getDetailedDeliveryReceipts`); email recipients and content
templates, which chinwag has none of but answers as a last page (twilsock/receipts_api.py).
And reachability (domain/reachability.py): off by default (null); when the service
turns it on, a user with an open socket is online for others' `US….info` maps, REST and
onUserUpdated, and a crashed server's sockets stop counting when their lease runs out.
"""

import asyncio
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection

from chinwag.domain import reachability
from chinwag.store import presence
from chinwag.testing import WebhookReceiver
from chinwag.twilio.dates import utc_now
from chinwag.twilsock import framing
from tests.conftest import customer_number
from tests.databases import on_database
from tests.e2e.tenants import Tenant, new_tenant
from tests.e2e.test_socket_isolation import Socket, _with_socket, token_for
from tests.inprocess import AppServer

PROXY = "+15017122661"


def _sms_scene(tenant: Tenant) -> tuple[Any, Any, str, str]:
    """A conversation with agent (chat) and one SMS participant, and the agent's message,
    posted before the SMS participant joins so that the test records every receipt."""
    client = tenant.client.conversations.v1
    conversation = client.conversations.create(friendly_name="Shipping")
    conversation.participants.create(identity="agent")
    message = conversation.messages.create(author="agent", body="Your order shipped")
    sms = conversation.participants.create(
        messaging_binding_address=customer_number(), messaging_binding_proxy_address=PROXY
    )
    root = f"/chinwag/v1/Services/{conversation.chat_service_sid}"
    path = f"{root}/Conversations/{conversation.sid}/Messages/{message.sid}/Receipts"
    return conversation, message, sms.sid, path


def _record(tenant: Tenant, path: str, participant: str, status: str) -> dict[str, Any]:
    answer = tenant.api.post(path, {"ParticipantSid": participant, "Status": status})
    assert answer.status_code in (200, 201), answer.text
    body: dict[str, Any] = answer.json()
    return body


async def _event(socket: Socket, event_type: str) -> dict[str, Any]:
    """The next Sync event of that type."""
    while True:
        notice = framing.parse((await socket.ws.receive(10)).data)
        payload = notice.json() if notice.method == "notification" else None
        if payload and payload.get("event_type") == event_type:
            event: dict[str, Any] = payload["event"]
            return event


def test_a_message_item_carries_its_delivery_summary_and_follows_each_receipt(
    app_server: AppServer,
) -> None:
    tenant = new_tenant(app_server, "receipts")
    conversation, message, sms, path = _sms_scene(tenant)
    _record(tenant, path, sms, "sent")
    messages = f"{conversation.sid}.messages"

    async def watch(socket: Socket) -> tuple[Any, Any]:
        status, page = await socket.ask("GET", f"/v3/Lists/{messages}/Items")
        assert status == 200, page
        first = page["items"][0]["data"].get("delivery")
        assert await socket.subscribe(messages, "list") == "subscription_established"
        await asyncio.to_thread(_record, tenant, path, sms, "read")
        event = await _event(socket, "list_item_updated")
        assert event["item_index"] == message.index
        return first, event["item_data"].get("delivery")

    first, live = asyncio.run(_with_socket(app_server.url, token_for(tenant, "agent"), watch))
    summary = {"total": 1, "failed": "none", "undelivered": "none"}
    assert first == {**summary, "sent": "all", "delivered": "none", "read": "none"}
    assert live == {**summary, "sent": "all", "delivered": "all", "read": "all"}
    rest = tenant.client.conversations.v1.conversations(conversation.sid)
    assert rest.messages(message.sid).fetch().delivery == live


def test_a_receipt_moved_while_away_is_replayed_on_subscribing_again(
    app_server: AppServer,
) -> None:
    """The SDK subscribes with the `last_event_id` it fetched: a receipt that moved since
    (the message's row unchanged) is replayed, its item numbered by the receipt's time."""
    tenant = new_tenant(app_server, "receipts replay")
    conversation, _, sms, path = _sms_scene(tenant)
    _record(tenant, path, sms, "sent")
    messages = f"{conversation.sid}.messages"

    async def away(socket: Socket) -> Any:
        _, listed = await socket.ask("GET", f"/v3/Lists/{messages}")
        await asyncio.to_thread(_record, tenant, path, sms, "delivered")
        wanted = {"object_sid": messages, "object_type": "list"}
        wanted["last_event_id"] = listed["last_event_id"]
        body = {"event_protocol_version": 4, "action": "establish", "correlation_id": 9}
        status, _ = await socket.ask("POST", "/v4/Subscriptions", {**body, "requests": [wanted]})
        assert status == 200
        event = await _event(socket, "list_item_updated")
        assert event["id"] > listed["last_event_id"]
        return event["item_data"]["delivery"]["delivered"]

    token = token_for(tenant, "agent")
    assert asyncio.run(_with_socket(app_server.url, token, away)) == "all"


def test_detailed_receipts_are_what_rest_lists(app_server: AppServer) -> None:
    tenant = new_tenant(app_server, "detailed receipts")
    conversation, message, sms, path = _sms_scene(tenant)
    recorded = _record(tenant, path, sms, "delivered")
    base = f"/Client/v2/Conversations/{conversation.sid}/Messages"

    async def read(socket: Socket) -> dict[str, Any]:
        answers = {
            "receipts": await socket.ask("GET", f"{base}/{message.sid}/Receipts"),
            "paged": await socket.ask(
                "GET", f"{base}/{message.sid}/Receipts", params={"PageSize": "1"}
            ),
            "unknown message": await socket.ask("GET", f"{base}/IM{'0' * 32}/Receipts"),
        }
        return answers

    answers = asyncio.run(_with_socket(app_server.url, token_for(tenant, "agent"), read))
    status, body = answers["receipts"]
    assert status == 200, body
    assert body["meta"] == {"next_token": None, "previous_token": None}
    [receipt] = body["delivery_receipts"]
    for key in ("sid", "message_sid", "conversation_sid", "channel_message_sid"):
        assert receipt[key] == recorded[key]
    assert (receipt["participant_sid"], receipt["status"]) == (sms, "delivered")
    assert (receipt["error_code"], receipt["date_created"]) == (0, recorded["date_created"])
    assert answers["paged"][1]["delivery_receipts"] == [receipt]
    assert answers["unknown message"][0] == 404


def test_a_stranger_reads_no_receipts(app_server: AppServer) -> None:
    tenant = new_tenant(app_server, "receipts stranger")
    conversation, message, sms, path = _sms_scene(tenant)
    _record(tenant, path, sms, "sent")
    receipts = f"/Client/v2/Conversations/{conversation.sid}/Messages/{message.sid}/Receipts"
    recipients = f"/Client/v2/Conversations/{conversation.sid}/MessageRecipients"

    async def probe(socket: Socket) -> list[int]:
        return [(await socket.ask("GET", path))[0] for path in (receipts, recipients)]

    token = token_for(tenant, "stranger")
    assert asyncio.run(_with_socket(app_server.url, token, probe)) == [404, 404]


def test_email_recipients_and_content_templates_are_empty_last_pages(
    app_server: AppServer,
) -> None:
    """Without them the SDK's `getContentTemplates` retries a 404 for ever, and loops while
    `meta.next_token !== null`: the token is null, not missing."""
    tenant = new_tenant(app_server, "templates")
    conversation, message, _, _ = _sms_scene(tenant)
    recipients = f"/Client/v2/Conversations/{conversation.sid}/MessageRecipients"

    async def read(socket: Socket) -> list[tuple[int, Any]]:
        return [
            await socket.ask("GET", "/Client/v2/ContentTemplates", params={"PageSize": "100"}),
            await socket.ask("GET", recipients, params={"MessageSid": message.sid}),
            await socket.ask("GET", recipients, params={"PageSize": "50"}),
        ]

    templates, of_message, of_conversation = asyncio.run(
        _with_socket(app_server.url, token_for(tenant, "agent"), read)
    )
    last = {"next_token": None, "previous_token": None}
    assert templates == (200, {"templates": [], "meta": last})
    assert of_message == (200, {"message_recipients": [], "meta": last})
    assert of_conversation == of_message


# -- reachability ----------------------------------------------------------------------


def _service_with_reachability(tenant: Tenant, receiver: WebhookReceiver) -> str:
    """The tenant's default service, with reachability on and onUserUpdated to `receiver`."""
    service: str = tenant.client.conversations.v1.services.list()[0].sid
    configuration = tenant.client.conversations.v1.services(service).configuration
    configuration().update(reachability_enabled=True)
    configuration.webhooks().update(
        post_webhook_url=receiver.url + "/post", method="POST", filters=["onUserUpdated"]
    )
    return service


def test_reachability_is_off_by_default_and_then_null_everywhere(app_server: AppServer) -> None:
    tenant = new_tenant(app_server, "no reachability")
    service = tenant.client.conversations.v1.services.list()[0].sid
    bob = tenant.client.conversations.v1.services(service).users.create(identity="bob")

    async def read(socket: Socket) -> tuple[Any, Any, Any]:
        _, configuration = await socket.ask("GET", "/Client/v2/Configuration")
        _, items = await socket.ask("GET", f"/v3/Maps/{bob.sid}.info/Items")
        reach = {item["key"]: item["data"] for item in items["items"]}["reachability"]
        fetched = await asyncio.to_thread(
            tenant.client.conversations.v1.services(service).users(bob.sid).fetch
        )
        return configuration["options"]["reachability_enabled"], reach, fetched

    enabled, reach, rest = asyncio.run(_with_socket(app_server.url, token_for(tenant, "bob"), read))
    assert enabled is False
    assert reach == {"online": None, "notifiable": None}
    assert (rest.is_online, rest.is_notifiable) == (None, None)


def test_a_connected_user_is_online_for_others_rest_and_the_webhook(
    app_server: AppServer,
) -> None:
    tenant = new_tenant(app_server, "reachability")
    receiver = WebhookReceiver(tenant.auth_token).start()
    try:
        service = _service_with_reachability(tenant, receiver)
        users = tenant.client.conversations.v1.services(service).users
        bob = users.create(identity="bob")
        info = f"{bob.sid}.info"

        async def bob_connects(alice: Socket) -> dict[str, Any]:
            seen: dict[str, Any] = {}
            _, configuration = await alice.ask("GET", "/Client/v2/Configuration")
            seen["enabled"] = configuration["options"]["reachability_enabled"]
            _, items = await alice.ask("GET", f"/v3/Maps/{info}/Items")
            seen["before"] = {i["key"]: i["data"] for i in items["items"]}["reachability"]
            assert await alice.subscribe(info, "map") == "subscription_established"

            async def as_bob(socket: Socket) -> None:
                seen["online"] = await _reachability_event(alice)
                fetched = await asyncio.to_thread(users(bob.sid).fetch)
                seen["rest online"] = (fetched.is_online, fetched.is_notifiable)

            await _with_socket(app_server.url, token_for(tenant, "bob", service), as_bob)
            seen["offline"] = await _reachability_event(alice)
            fetched = await asyncio.to_thread(users(bob.sid).fetch)
            seen["rest offline"] = (fetched.is_online, fetched.is_notifiable)
            return seen

        token = token_for(tenant, "alice", service)
        seen = asyncio.run(_with_socket(app_server.url, token, bob_connects))
        assert seen["enabled"] is True
        assert seen["before"] == {"online": False, "notifiable": False}
        assert seen["online"] == {"online": True, "notifiable": False}
        assert seen["rest online"] == (True, False)
        assert seen["offline"] == {"online": False, "notifiable": False}
        assert seen["rest offline"] == (False, False)
        told = [
            (r.form["Identity"], r.form["isOnline"], r.form["isNotifiable"])
            for r in receiver.wait_for(4)
        ]
        # alice's own socket comes and goes too: each user is told once online, once not
        assert sorted(told) == sorted(
            [
                ("alice", "true", "false"),
                ("bob", "true", "false"),
                ("bob", "false", "false"),
                ("alice", "false", "false"),
            ]
        )
        assert receiver.wait_for(4)[1].form["EventType"] == "onUserUpdated"
    finally:
        receiver.stop()


def test_a_user_connected_to_another_server_is_online_here(app_server: AppServer) -> None:
    """Presence is in the database: bob's socket on server B makes him online for alice's
    socket and REST on server A (on SQLite, through the file's change; on PostgreSQL,
    through NOTIFY)."""
    tenant = new_tenant(app_server, "reachability across servers")
    receiver = WebhookReceiver(tenant.auth_token).start()
    other = AppServer(app_server.database_url)
    other.account_sid, other.auth_token = app_server.auth
    other.start()
    try:
        service = _service_with_reachability(tenant, receiver)
        users = tenant.client.conversations.v1.services(service).users
        bob = users.create(identity="bob")
        info = f"{bob.sid}.info"

        async def bob_elsewhere(alice: Socket) -> list[Any]:
            assert await alice.subscribe(info, "map") == "subscription_established"
            seen: list[Any] = []

            async def as_bob(socket: Socket) -> None:
                seen.append(await _reachability_event(alice))
                seen.append((await asyncio.to_thread(users(bob.sid).fetch)).is_online)

            await _with_socket(other.url, token_for(tenant, "bob", service), as_bob)
            seen.append(await _reachability_event(alice))
            return seen

        token = token_for(tenant, "alice", service)
        seen = asyncio.run(_with_socket(app_server.url, token, bob_elsewhere))
        online, offline = (
            {"online": True, "notifiable": False},
            {"online": False, "notifiable": False},
        )
        assert seen == [online, True, offline]
    finally:
        other.stop()
        receiver.stop()


async def _reachability_event(socket: Socket) -> Any:
    """The next change of a user info map's `reachability` item."""
    while True:
        event = await _event(socket, "map_item_updated")
        if event["item_key"] == "reachability":
            return event["item_data"]


def test_a_crashed_servers_sockets_stop_counting_when_their_lease_runs_out(
    app_server: AppServer,
) -> None:
    """A server renews its sockets' leases (domain/reachability.py); one that crashed does
    not, so its users go offline at the lease's end, and the next sweep tells of it."""
    tenant = new_tenant(app_server, "crashed presence")
    receiver = WebhookReceiver(tenant.auth_token).start()
    try:
        service = _service_with_reachability(tenant, receiver)
        users = tenant.client.conversations.v1.services(service).users
        carol = users.create(identity="carol")
        lease_end = utc_now() + timedelta(seconds=1)

        def crashed_servers_socket(conn: Connection) -> None:
            presence.open_socket(conn, "0" * 32, tenant.sid, service, carol.sid, lease_end)

        on_database(app_server.database_url, crashed_servers_socket)
        assert users(carol.sid).fetch().is_online is True
        while utc_now() <= lease_end:
            time.sleep(0.1)
        assert users(carol.sid).fetch().is_online is False

        def sweep(conn: Connection) -> int:
            return reachability.expire(conn, utc_now())

        assert on_database(app_server.database_url, sweep) >= 1
        [told] = receiver.wait_for(1)
        assert (told.form["Identity"], told.form["isOnline"]) == ("carol", "false")
    finally:
        receiver.stop()


def test_a_push_binding_makes_a_user_notifiable_online_or_not(app_server: AppServer) -> None:
    tenant = new_tenant(app_server, "notifiable")
    receiver = WebhookReceiver(tenant.auth_token).start()
    try:
        service = _service_with_reachability(tenant, receiver)
        users = tenant.client.conversations.v1.services(service).users
        dave = users.create(identity="dave")
        assert users(dave.sid).fetch().is_notifiable is False
        answer = tenant.api.post(
            f"/chinwag/v1/Services/{service}/Bindings",
            {"Identity": "dave", "BindingType": "fcm", "Address": "device-token-1"},
        )
        assert answer.status_code == 201, answer.text
        assert users(dave.sid).fetch().is_notifiable is True
        listed = [(user.identity, user.is_online, user.is_notifiable) for user in users.list()]
        assert ("dave", False, True) in listed
        # Each change of notifiable is told, as one of online is; the same again is not.
        users.create(identity="erin")
        again = {"Identity": "dave", "BindingType": "fcm", "Address": "device-token-1"}
        assert tenant.api.post(f"/chinwag/v1/Services/{service}/Bindings", again).ok
        passed_on = {**again, "Identity": "erin"}  # the device now signs in as erin
        moved = tenant.api.post(f"/chinwag/v1/Services/{service}/Bindings", passed_on)
        assert moved.ok, moved.text
        binding = f"/v1/Services/{service}/Bindings/{moved.json()['sid']}"
        assert tenant.api.delete(binding).status_code == 204
        told = [(r.form["Identity"], r.form["isNotifiable"]) for r in receiver.wait_for(4)]
        assert sorted(told) == [
            ("dave", "false"),
            ("dave", "true"),
            ("erin", "false"),
            ("erin", "true"),
        ]
        time.sleep(0.5)  # and nothing more: the same registration again changed nothing
        assert [r.form["EventType"] for r in receiver.requests] == ["onUserUpdated"] * 4
    finally:
        receiver.stop()


def test_renewing_extends_a_lease_and_names_the_sockets_whose_row_went(
    app_server: AppServer,
) -> None:
    """What a server's renewal loop (twilsock/reachability.py, every RENEW_EVERY) does."""
    tenant = new_tenant(app_server, "renewal")
    service = tenant.client.conversations.v1.services.list()[0].sid
    erin = tenant.client.conversations.v1.services(service).users.create(identity="erin")
    now = utc_now()

    def renew_one_of_two(conn: Connection) -> tuple[set[str], bool]:
        presence.open_socket(conn, "1" * 32, tenant.sid, service, erin.sid, now)
        missing = reachability.renew(conn, ["1" * 32, "2" * 32], now)
        return missing, presence.is_online(conn, erin.sid, now + reachability.LEASE / 2)

    missing, still_online = on_database(app_server.database_url, renew_one_of_two)
    assert (missing, still_online) == ({"2" * 32}, True)
