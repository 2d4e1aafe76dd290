"""Service-level webhooks: the account's global configuration (/v1/Configuration/Webhooks)
and each service's own (/v1/Services/{sid}/Configuration/Webhooks), and which of them a
service's events go to.

Tests that change the global configuration work in an account of their own (`tenant`):
it serves every service of the account.
"""

from collections.abc import Iterator

import pytest
from twilio.rest import Client

from chinwag.testing import WebhookReceiver
from tests.conftest import Api, assert_twilio_error
from tests.e2e.families import Family
from tests.e2e.tenants import Tenant, new_tenant
from tests.inprocess import AppServer

ENABLED = {"X-Twilio-Webhook-Enabled": "true"}
ON = {"x_twilio_webhook_enabled": "true"}
GLOBAL = "/v1/Configuration/Webhooks"


@pytest.fixture
def receiver(tenant: Tenant) -> Iterator[WebhookReceiver]:
    """A receiver that checks signatures with the tenant's auth token."""
    receiver = WebhookReceiver(tenant.auth_token).start()
    try:
        yield receiver
    finally:
        receiver.stop()


def queued(tenant: Tenant) -> list[tuple[str, str, str]]:
    """(URL path, EventType, ChatServiceSid) of each delivery the account queued, oldest first.

    The outbox is written in the change's own transaction, so it is complete when the
    REST call has answered: what is absent here was never going to be sent.
    """
    listed = tenant.api.get("/chinwag/v1/Deliveries", params={"PageSize": 100}).json()
    return [
        ("/" + d["url"].split("/", 3)[3], d["event_type"], d["chat_service_sid"])
        for d in reversed(listed["deliveries"])
    ]


def test_a_never_configured_service_configuration_reads_as_twilios_fetch_empty(
    api: Api, client: Client
) -> None:
    service = client.conversations.v1.services.create(friendly_name="no hooks yet")
    path = f"/v1/Services/{service.sid}/Configuration/Webhooks"
    assert api.get(path).json() == {  # the spec's `fetchEmpty` example, key for key
        "account_sid": service.account_sid,
        "chat_service_sid": service.sid,
        "url": f"{api.base}{path}",
        "pre_webhook_url": None,
        "post_webhook_url": None,
        "filters": None,
        "method": None,
    }
    hooks = client.conversations.v1.services(service.sid).configuration.webhooks()
    fetched = hooks.fetch()
    assert (fetched.filters, fetched.method, fetched.post_webhook_url) == (None, None, None)

    # What is given is stored; what is not stays null.
    updated = hooks.update(post_webhook_url="http://127.0.0.1:9/s", filters=["onParticipantAdded"])
    assert (updated.chat_service_sid, updated.filters) == (service.sid, ["onParticipantAdded"])
    assert (updated.method, updated.pre_webhook_url) == (None, None)
    assert hooks.update(method="get").method == "GET"  # the spec's enum is upper case
    assert hooks.update(post_webhook_url="").post_webhook_url is None  # an empty value clears it
    assert hooks.fetch().filters == ["onParticipantAdded"]


def test_the_global_configuration_is_the_accounts_and_reads_empty_until_set(
    tenant: Tenant,
) -> None:
    hooks = tenant.client.conversations.v1.configuration.webhooks()
    fetched = hooks.fetch()
    assert (fetched.account_sid, fetched.url) == (tenant.sid, f"{tenant.api.base}{GLOBAL}")
    assert (fetched.pre_webhook_url, fetched.post_webhook_url) == (None, None)
    assert (fetched.filters, fetched.method, fetched.target) == (None, "POST", "webhook")
    assert "chat_service_sid" not in tenant.api.get(GLOBAL).json()  # the spec's schema

    updated = hooks.update(
        pre_webhook_url="http://127.0.0.1:9/pre",
        post_webhook_url="http://127.0.0.1:9/post",
        method="GET",
        filters=["onMessageAdded", "onConversationUpdated"],
        target="flex",
    )
    assert (updated.method, updated.target) == ("GET", "flex")
    assert updated.filters == ["onMessageAdded", "onConversationUpdated"]
    again = hooks.fetch()
    assert (again.pre_webhook_url, again.post_webhook_url, again.target) == (
        "http://127.0.0.1:9/pre",
        "http://127.0.0.1:9/post",
        "flex",
    )


def test_global_and_service_configurations_are_separate_records(tenant: Tenant) -> None:
    v1 = tenant.client.conversations.v1
    default_service = v1.configuration().fetch().default_chat_service_sid
    v1.configuration.webhooks().update(
        post_webhook_url="http://127.0.0.1:9/global", filters=["onMessageAdded"], method="GET"
    )
    # The default service's own configuration is not the global one ...
    own = v1.services(default_service).configuration.webhooks()
    fetched = own.fetch()
    assert (fetched.post_webhook_url, fetched.filters, fetched.method) == (None, None, None)
    own.update(post_webhook_url="http://127.0.0.1:9/own", filters=["onParticipantAdded"])
    # ... and writing one leaves the other as it was.
    kept = v1.configuration.webhooks().fetch()
    assert (kept.post_webhook_url, kept.filters, kept.method) == (
        "http://127.0.0.1:9/global",
        ["onMessageAdded"],
        "GET",
    )
    assert own.fetch().post_webhook_url == "http://127.0.0.1:9/own"


def test_a_global_post_webhook_fires_for_every_service_without_its_own(
    tenant: Tenant, receiver: WebhookReceiver
) -> None:
    v1 = tenant.client.conversations.v1
    events = ["onConversationAdded", "onMessageAdded", "onUserAdded"]
    v1.configuration.webhooks().update(post_webhook_url=receiver.url + "/global", filters=events)
    default_service = v1.configuration().fetch().default_chat_service_sid
    second = v1.services.create(friendly_name="second").sid

    v1.conversations.create(friendly_name="in the default service", **ON)
    elsewhere = v1.services(second).conversations.create(friendly_name="in the second", **ON)
    v1.services(second).conversations(elsewhere.sid).messages.create(author="a", body="hi", **ON)
    v1.services(second).users.create(identity="someone", **ON)
    v1.services(second).conversations.create(friendly_name="no header: no event")

    assert queued(tenant) == [
        ("/global", "onConversationAdded", default_service),
        ("/global", "onConversationAdded", second),
        ("/global", "onMessageAdded", second),
        ("/global", "onUserAdded", second),
    ]
    received = receiver.wait_for(4)
    assert all(r.signature_valid and r.method == "POST" for r in received)  # no Method: POST
    in_second = [r.form for r in received if r.form.get("ChatServiceSid") == second]
    assert {form["EventType"] for form in in_second} == {"onConversationAdded", "onUserAdded"}
    [message] = [r.form for r in received if r.form["EventType"] == "onMessageAdded"]
    assert (message["ConversationSid"], message["Body"]) == (elsewhere.sid, "hi")


def test_a_service_configuration_overrides_the_global_one_for_that_service_only(
    tenant: Tenant, receiver: WebhookReceiver
) -> None:
    v1 = tenant.client.conversations.v1
    v1.configuration.webhooks().update(
        post_webhook_url=receiver.url + "/global",
        filters=["onConversationAdded", "onConversationUpdated"],
        method="GET",
    )
    own, plain = (v1.services.create(friendly_name=name).sid for name in ("own", "plain"))
    # `own` does not want onConversationAdded: the global configuration, which does, is
    # not asked in its place.
    v1.services(own).configuration.webhooks().update(
        post_webhook_url=receiver.url + "/own", filters=["onConversationUpdated"]
    )

    mine = v1.services(own).conversations.create(**ON)
    v1.services(own).conversations(mine.sid).update(friendly_name="renamed", **ON)
    v1.services(plain).conversations.create(**ON)
    assert queued(tenant) == [
        ("/own", "onConversationUpdated", own),
        ("/global", "onConversationAdded", plain),
    ]
    received = receiver.wait_for(2)
    assert all(r.signature_valid for r in received)
    methods = {r.url.split("?")[0].rsplit("/", 1)[1]: r.method for r in received}
    assert methods == {"own": "POST", "global": "GET"}  # each configuration's own Method

    # Without URLs a service configures nothing: the global configuration serves it again.
    v1.services(own).configuration.webhooks().update(post_webhook_url="")
    v1.services(own).conversations(mine.sid).update(friendly_name="again", **ON)
    assert queued(tenant)[-1] == ("/global", "onConversationUpdated", own)


def test_the_global_pre_event_webhook_is_asked_for_services_without_their_own(
    tenant: Tenant, receiver: WebhookReceiver
) -> None:
    api = tenant.api
    api.post(GLOBAL, {"PreWebhookUrl": receiver.url + "/pre", "Filters": "onConversationUpdate"})
    receiver.status = 403  # every pre-event asked rejects the change
    second = api.post("/v1/Services", {"FriendlyName": "second"}).json()["sid"]
    conversation = api.post(f"/v1/Services/{second}/Conversations", {}).json()
    refused = api.post(conversation["url"], {"FriendlyName": "no"}, headers=ENABLED)
    assert "onConversationUpdate" in assert_twilio_error(refused, 403, 20403)["message"]
    [asked] = receiver.wait_for(1)
    assert asked.signature_valid
    assert (asked.form["ChatServiceSid"], asked.form["ConversationSid"]) == (
        second,
        conversation["sid"],
    )

    # A service with a configuration of its own (here only a post-event URL) is not
    # asked about by the global one: the pre-event is synchronous, so a 200 proves it.
    guarded = api.post("/v1/Services", {"FriendlyName": "own"}).json()["sid"]
    api.post(
        f"/v1/Services/{guarded}/Configuration/Webhooks",
        {"PostWebhookUrl": receiver.url + "/post", "Filters": "onConversationUpdate"},
    )
    mine = api.post(f"/v1/Services/{guarded}/Conversations", {}).json()
    assert api.post(mine["url"], {"FriendlyName": "yes"}, headers=ENABLED).status_code == 200
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("which", ["global", "service"])
def test_invalid_configuration_is_refused_and_nothing_changes(tenant: Tenant, which: str) -> None:
    api = tenant.api
    if which == "global":
        path = GLOBAL
    else:
        service = api.post("/v1/Services", {"FriendlyName": "refusing"}).json()["sid"]
        path = f"/v1/Services/{service}/Configuration/Webhooks"
    api.post(path, {"PostWebhookUrl": "http://127.0.0.1:9/kept", "Filters": "onMessageAdded"})
    before = api.get(path).json()
    cases: list[dict[str, str | list[str]]] = [
        {"PostWebhookUrl": "ftp://example.com"},
        {"PreWebhookUrl": "/relative"},
        {"Filters": ["onMessageAdded", "onNothing"]},
        {"Method": "PUT"},
    ]
    if which == "global":
        cases.append({"Target": "studio"})
    for body in cases:
        body_json = assert_twilio_error(api.post(path, body), 400, 20001)
        assert next(iter(body)) in body_json["message"]
    assert api.get(path).json() == before


def test_a_configuration_is_its_accounts_alone(app_server: AppServer, tenant: Tenant) -> None:
    other = new_tenant(app_server, "other")
    tenant.api.post(GLOBAL, {"PostWebhookUrl": "http://127.0.0.1:9/mine"})
    assert other.api.get(GLOBAL).json()["post_webhook_url"] is None
    assert other.api.get(GLOBAL).json()["account_sid"] == other.sid

    service = tenant.api.post("/v1/Services", {"FriendlyName": "mine"}).json()["sid"]
    path = f"/v1/Services/{service}/Configuration/Webhooks"
    tenant.api.post(path, {"PostWebhookUrl": "http://127.0.0.1:9/service"})
    assert_twilio_error(other.api.get(path), 404, 20404)
    assert_twilio_error(other.api.post(path, {"PostWebhookUrl": "http://x.io/"}), 404, 20404)
    assert tenant.api.get(path).json()["post_webhook_url"] == "http://127.0.0.1:9/service"


def test_post_events_reach_the_service_level_webhook(
    api: Api, family: Family, webhook_receiver: WebhookReceiver
) -> None:
    """On the default family this is the global configuration, which serves the default
    service; on the service family the service's own."""
    path = f"{family.root}/Configuration/Webhooks"
    filters = ["onConversationAdded", "onConversationRemoved"]
    api.post(path, {"PostWebhookUrl": webhook_receiver.url + "/post", "Filters": filters})
    conversations = f"{family.root}/Conversations"
    try:
        created = api.post(conversations, {"FriendlyName": "svc"}, headers=ENABLED).json()
        api.post(f"{conversations}/{created['sid']}", {"FriendlyName": "no"}, headers=ENABLED)
        api.delete(f"{conversations}/{created['sid']}", headers=ENABLED)
        added, removed = webhook_receiver.wait_for(2)
    finally:
        api.post(path, {"PostWebhookUrl": ""})  # later tests' events must not come here
    assert added.signature_valid and removed.signature_valid
    assert added.form["EventType"] == "onConversationAdded"
    assert removed.form["EventType"] == "onConversationRemoved"
    assert added.form["ChatServiceSid"] == created["chat_service_sid"]
    assert added.form["FriendlyName"] == "svc"
    assert len(webhook_receiver.requests) == 2  # onConversationUpdated was not in the filters
