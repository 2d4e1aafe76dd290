"""The SDK's push registration at the frame level (twilsock/push_api.py): a registration is
a Binding of the token's user in the token's service; registering again is the same
binding; a user unregisters only their own; the credential is the token's or the
account's; a malformed registration is refused without a write."""

import asyncio
from typing import Any

from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import ChatGrant

from chinwag.domain.accounts import create_api_key
from tests.conftest import assert_twilio_error
from tests.databases import on_database
from tests.e2e.tenants import Tenant, new_tenant
from tests.e2e.test_socket_isolation import Socket, _with_socket, token_for
from tests.inprocess import AppServer

REGISTRATIONS = "/v1/registrations"
ERS = {"productId": "ip_messaging"}
SDK_TYPES = [
    "twilio.conversations.new_message",
    "twilio.conversations.added_to_conversation",
    "twilio.conversations.removed_from_conversation",
    "twilio.ipmsg.typing_indicator",
    "twilio.channel.consumption_update",
]


def registration(channel: str, token: str, types: list[str] = SDK_TYPES) -> dict[str, Any]:
    """The body @twilio/notifications posts (RegistrarConnector.updateRegistration)."""
    return {
        "endpoint_platform": "web",
        "channel_type": channel,
        "version": "3",
        "message_types": types,
        "data": {"registration_id": token},
    }


def as_user(app_server: AppServer, token: str, test: Any) -> Any:
    return asyncio.run(_with_socket(app_server.url, token, test))


def bindings(tenant: Tenant, service: str) -> list[tuple[str, str, str, str | None, list[str]]]:
    listed = tenant.client.conversations.v1.services(service).bindings.list()
    return [
        (b.identity, b.binding_type, b.endpoint, b.credential_sid, b.message_types) for b in listed
    ]


def test_a_registration_is_a_binding_of_the_tokens_user_and_service(app_server: AppServer) -> None:
    tenant = new_tenant(app_server, "push")
    service = tenant.client.conversations.v1.services.create(friendly_name="app").sid
    fcm = tenant.client.conversations.v1.credentials.create(type="fcm").sid

    async def register_twice(socket: Socket) -> list[tuple[int, Any]]:
        body = registration("fcm", "device-1")
        return [await socket.ask("POST", REGISTRATIONS, body, ERS) for _ in range(2)]

    token = token_for(tenant, "bob", service)
    (first, created), (again, same) = as_user(app_server, token, register_twice)
    assert (first, again) == (201, 200)
    assert created["id"] == same["id"] and created["id"].startswith("BS")
    assert created == {
        "id": created["id"],
        "channel_type": "fcm",
        "message_types": SDK_TYPES,
        "data": {"registration_id": "device-1"},
    }
    pushed = ["new_message", "added_to_conversation", "removed_from_conversation"]
    assert bindings(tenant, service) == [("bob", "fcm", "device-1", fcm, pushed)]
    default = tenant.client.conversations.v1.conversations.create().chat_service_sid
    assert bindings(tenant, default) == []  # the token's service only


def test_the_tokens_credential_is_used_when_it_is_the_accounts_of_that_kind(
    app_server: AppServer,
) -> None:
    tenant = new_tenant(app_server, "credentials")
    service = tenant.client.conversations.v1.services.create(friendly_name="app").sid
    credentials = tenant.client.conversations.v1.credentials
    named = credentials.create(type="apn", friendly_name="named").sid
    newest = credentials.create(type="apn", friendly_name="newest").sid
    gcm = credentials.create(type="gcm").sid
    intruder = new_tenant(app_server, "other")
    theirs = intruder.client.conversations.v1.credentials.create(type="apn").sid

    key = on_database(app_server.database_url, lambda c: create_api_key(c, tenant.sid, "k"))

    def token_naming(credential: str) -> str:
        """What an app's backend mints with twilio-python, its ChatGrant naming a credential."""
        token = AccessToken(tenant.sid, key.key.sid, key.secret, identity="bob")
        token.add_grant(ChatGrant(service_sid=service, push_credential_sid=credential))
        return str(token.to_jwt())

    for credential, address in ((named, "a"), (theirs, "b"), (gcm, "c")):

        async def register(socket: Socket, address: str = address) -> int:
            status, _ = await socket.ask("POST", REGISTRATIONS, registration("apn", address), ERS)
            return status

        assert as_user(app_server, token_naming(credential), register) == 201

    async def register_fcm(socket: Socket) -> int:
        status, _ = await socket.ask("POST", REGISTRATIONS, registration("fcm", "d"), ERS)
        return status

    assert as_user(app_server, token_naming(named), register_fcm) == 201
    shown = {endpoint: credential for _, _, endpoint, credential, _ in bindings(tenant, service)}
    # the token's; not another account's, nor another kind's: the account's newest apn;
    # FCM took over GCM's keys
    assert shown == {"a": named, "b": newest, "c": newest, "d": gcm}


def test_a_user_unregisters_only_their_own_registrations(app_server: AppServer) -> None:
    tenant = new_tenant(app_server, "owners")
    service = tenant.client.conversations.v1.services.create(friendly_name="app").sid

    async def register(socket: Socket) -> str:
        status, body = await socket.ask("POST", REGISTRATIONS, registration("apn", "alice-1"), ERS)
        assert status == 201
        await socket.ask("POST", REGISTRATIONS, registration("fcm", "alice-2"), ERS)
        return str(body["id"])

    alices = as_user(app_server, token_for(tenant, "alice", service), register)

    async def bob_tries(socket: Socket) -> list[tuple[int, Any]]:
        by_id = await socket.ask("DELETE", f"{REGISTRATIONS}/{alices}", {}, ERS)
        device = {"binding_type": "fcm", "address": "alice-2"}
        by_device = await socket.ask("DELETE", REGISTRATIONS, device, ERS)
        unknown = await socket.ask("DELETE", f"{REGISTRATIONS}/not-a-sid", {}, ERS)
        return [by_id, by_device, unknown]

    answers = as_user(app_server, token_for(tenant, "bob", service), bob_tries)
    assert [status for status, _ in answers] == [200, 200, 200]  # as if done: nothing to tell
    assert [b[2] for b in bindings(tenant, service)] == ["alice-1", "alice-2"]

    async def alice_unregisters(socket: Socket) -> list[int]:
        first, _ = await socket.ask("DELETE", f"{REGISTRATIONS}/{alices}", {}, ERS)
        device = {"binding_type": "fcm", "address": "alice-2"}
        second, _ = await socket.ask("DELETE", REGISTRATIONS, device, ERS)
        return [first, second]

    assert as_user(app_server, token_for(tenant, "alice", service), alice_unregisters) == [200, 200]
    assert bindings(tenant, service) == []


def test_a_malformed_registration_is_refused_and_writes_nothing(app_server: AppServer) -> None:
    tenant = new_tenant(app_server, "malformed")
    service = tenant.client.conversations.v1.services.create(friendly_name="app").sid
    bad = [
        registration("sms", "device"),
        registration("fcm", ""),
        {**registration("fcm", "device"), "message_types": "all"},
        {**registration("fcm", "device"), "data": {"registration_id": 7}},
    ]

    async def post_each(socket: Socket) -> list[tuple[int, Any]]:
        answers = [await socket.ask("POST", REGISTRATIONS, body, ERS) for body in bad]
        answers.append(await socket.ask("DELETE", REGISTRATIONS, {"address": "device"}, ERS))
        return answers

    for status, body in as_user(app_server, token_for(tenant, "bob", service), post_each):
        assert (status, body["code"]) == (400, 20001), body
    assert bindings(tenant, service) == []
    assert_twilio_error(tenant.api.get(f"/v1/Services/{service}/Bindings/BS{'0' * 32}"), 404, 20404)
