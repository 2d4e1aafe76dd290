"""Webhook and callback URLs (twilio/urls.py), at every door a request gives one by.

Each is refused unless it is an absolute http(s) URL without control characters or
whitespace, with the code that entry point uses for a bad URL, and nothing is written.
A URL stored before the rule (written into the database here) is never sent, and no
log line shows a URL's password or a raw line break from it.
"""

from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from chinwag.testing import WebhookReceiver
from tests.conftest import (
    Api,
    assert_twilio_error,
    customer_number,
    server_and_receiver,
    wait_until,
)
from tests.databases import run_sql
from tests.e2e.channels import Shop
from tests.e2e.tenants import Tenant
from tests.inprocess import AppServer

ENABLED = {"X-Twilio-Webhook-Enabled": "true"}
DELIVERIES = "/chinwag/v1/Deliveries"
ADDRESSES = "/v1/Configuration/Addresses"
GLOBAL = "/v1/Configuration/Webhooks"
BAD_URLS = [
    pytest.param("https://example.com/hook\r\nX-Forged: yes", id="crlf"),
    pytest.param("https://example.com/a hook", id="space"),
    pytest.param("https://example.com/\thook", id="tab"),
    pytest.param(" https://example.com/hook", id="leading-space"),
    pytest.param("https://example.com/hook\x7f", id="del"),
    pytest.param("ftp://example.com/hook", id="ftp"),
]
bad_urls = pytest.mark.parametrize("url", BAD_URLS)


def new_conversation(api: Api) -> str:
    sid: str = api.post("/v1/Conversations", {}).json()["sid"]
    return sid


def watched(api: Api, url: str) -> tuple[str, str]:
    """A conversation with a webhook at `url` for onConversationUpdated; (conversation, webhook)."""
    conversation = new_conversation(api)
    body = {
        "Target": "webhook",
        "Configuration.Url": url,
        "Configuration.Filters": "onConversationUpdated",
    }
    created = api.post(f"/v1/Conversations/{conversation}/Webhooks", body)
    assert created.status_code == 201, created.text
    return conversation, created.json()["sid"]


@bad_urls
def test_a_scoped_webhook_is_not_created_with_a_bad_url(api: Api, client: Client, url: str) -> None:
    conversation = new_conversation(api)
    webhooks = client.conversations.v1.conversations(conversation).webhooks
    with pytest.raises(TwilioRestException) as refused:
        webhooks.create(
            target="webhook", configuration_url=url, configuration_filters=["onMessageAdded"]
        )
    assert (refused.value.status, refused.value.code) == (400, 50369)
    trigger = {"Target": "trigger", "Configuration.Url": url, "Configuration.Triggers": "help"}
    path = f"/v1/Conversations/{conversation}/Webhooks"
    assert_twilio_error(api.post(path, trigger), 400, 50369)
    assert webhooks.list() == []


@bad_urls
def test_a_scoped_webhook_keeps_its_url_when_updated_with_a_bad_one(api: Api, url: str) -> None:
    conversation = new_conversation(api)
    created = api.post(
        f"/v1/Conversations/{conversation}/Webhooks",
        {
            "Target": "webhook",
            "Configuration.Url": "https://example.com/kept",
            "Configuration.Filters": "onMessageAdded",
        },
    ).json()
    body = assert_twilio_error(api.post(created["url"], {"Configuration.Url": url}), 400, 50369)
    assert "Configuration.Url" in body["message"]
    assert api.get(created["url"]).json() == created


@bad_urls
@pytest.mark.parametrize("which", ["global", "service"])
@pytest.mark.parametrize("name", ["PreWebhookUrl", "PostWebhookUrl"])
def test_service_level_webhooks_keep_their_urls(
    tenant: Tenant, which: str, name: str, url: str
) -> None:
    api = tenant.api
    if which == "global":
        path = GLOBAL
    else:
        service = api.post("/v1/Services", {"FriendlyName": "refusing"}).json()["sid"]
        path = f"/v1/Services/{service}/Configuration/Webhooks"
    kept = {"PreWebhookUrl": "http://127.0.0.1:9/pre", "PostWebhookUrl": "http://127.0.0.1:9/post"}
    assert api.post(path, kept).status_code == 200
    before = api.get(path).json()
    assert name in assert_twilio_error(api.post(path, {name: url}), 400, 20001)["message"]
    assert api.get(path).json() == before


@bad_urls
def test_an_address_configuration_is_not_created_or_changed_with_a_bad_url(
    tenant: Tenant, url: str
) -> None:
    api = tenant.api
    data = {
        "Type": "sms",
        "Address": customer_number(),
        "AutoCreation.Type": "webhook",
        "AutoCreation.WebhookFilters": "onMessageAdded",
    }
    refused = api.post(ADDRESSES, {**data, "AutoCreation.WebhookUrl": url})
    assert "AutoCreation.WebhookUrl" in assert_twilio_error(refused, 400, 50369)["message"]
    assert api.get(ADDRESSES).json()["address_configurations"] == []

    created = api.post(ADDRESSES, {**data, "AutoCreation.WebhookUrl": "https://example.com/kept"})
    assert created.status_code == 201, created.text
    moved = api.post(created.json()["url"], {"AutoCreation.WebhookUrl": url})
    assert_twilio_error(moved, 400, 50369)
    assert api.get(created.json()["url"]).json() == created.json()


@bad_urls
def test_an_inbound_message_with_a_bad_media_url_is_refused(shop: Shop, url: str) -> None:
    shop.configure("default")
    refused = shop.inbound(customer_number(), "look", MediaUrl=url)
    assert "MediaUrl" in assert_twilio_error(refused, 400, 20001)["message"]
    assert shop.tenant.client.conversations.v1.services(shop.service).conversations.list() == []
    assert shop.receiver.requests == []


def store_url(database_url: str, webhook: str, stored: str) -> None:
    """Give a scoped webhook a URL as a database from before the rule may hold one."""
    sql = "UPDATE scoped_webhooks SET url = :stored WHERE sid = :sid"
    run_sql(database_url, sql, stored=stored, sid=webhook)


def failed_delivery(api: Api, conversation: str) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        found = api.get(DELIVERIES, params={"ConversationSid": conversation, "Status": "failed"})
        listed: list[dict[str, Any]] = found.json()["deliveries"]
        return listed[0] if listed else None

    delivery: dict[str, Any] = wait_until(check, what="the delivery to fail")
    return delivery


def test_a_stored_url_with_a_line_break_fails_for_good_and_is_never_sent(
    app_server: AppServer, api: Api, webhook_receiver: WebhookReceiver
) -> None:
    """A scoped webhook whose URL was stored before the rule: its delivery is not sent, not
    retried, and its attempt says why."""
    conversation, webhook = watched(api, webhook_receiver.url + "/hook")
    stored = webhook_receiver.url + "/hook\r\nX-Forged: yes"
    store_url(app_server.database_url, webhook, stored)

    renamed = api.post(f"/v1/Conversations/{conversation}", {"FriendlyName": "x"}, headers=ENABLED)
    assert renamed.status_code == 200, renamed.text
    delivery = failed_delivery(api, conversation)
    assert (delivery["attempts"], delivery["error"], delivery["url"]) == (1, "invalid_url", stored)
    [attempt] = api.get(f"{DELIVERIES}/{delivery['sid']}").json()["attempts"]
    assert (attempt["response_status"], attempt["error"]) == (None, "invalid_url")
    assert webhook_receiver.requests == []


FORGED = "2026-01-01 00:00:00,000 ERROR chinwag.forged owned"
BANNER = ("chinwag ", "Dashboard: ", "  (sign in")


def test_the_log_shows_no_password_and_no_forged_line(database_url: str) -> None:
    """`chinwag serve`'s text log, after a failed delivery to a `user:password@` URL and
    an attempt at a stored URL holding CR LF and the start of a log line."""
    with server_and_receiver(database_url, "--log-format", "text") as (server, receiver):
        api = Api(server)
        receiver.answers = [404]  # permanent: one attempt, then dead-lettered
        with_password = receiver.url.replace("http://", "http://hook-user:s3cret-pass@")
        masked = receiver.url.replace("http://", "http://hook-user:***@")
        hooks = [watched(api, with_password + "/hook"), watched(api, receiver.url + "/forged")]
        store_url(database_url, hooks[1][1], f"{receiver.url}/forged\r\n{FORGED}")
        for conversation, _ in hooks:
            api.post(f"/v1/Conversations/{conversation}", {"FriendlyName": "x"}, headers=ENABLED)
            failed_delivery(api, conversation)

        def logged() -> list[str]:
            return [line for line in server.log().splitlines() if not line.startswith(BANNER)]

        wait_until(lambda: sum("dead-lettered" in line for line in logged()) == 2)
        lines = logged()

    assert [request.url for request in receiver.requests] == [receiver.url + "/hook"]
    assert not [line for line in lines if "s3cret-pass" in line]
    assert [line for line in lines if f"url={masked}/hook status=404" in line]
    escaped = "/forged%0D%0A" + FORGED.replace(" ", "%20")
    assert [line for line in lines if escaped in line and "error=invalid_url" in line]
    assert not [line for line in lines if line.startswith(FORGED)], "a line was forged"
