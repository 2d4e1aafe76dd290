"""Service-level webhook configuration, and post-events delivered to it."""

from twilio.rest import Client

from chinwag.testing import WebhookReceiver
from tests.conftest import Api, assert_twilio_error
from tests.e2e.families import Family, one_family

ENABLED = {"X-Twilio-Webhook-Enabled": "true"}


def test_configuration_through_twilio_python_on_both_families(client: Client, api: Api) -> None:
    default = client.conversations.v1.configuration.webhooks().update(
        pre_webhook_url="http://127.0.0.1:9/pre",
        post_webhook_url="http://127.0.0.1:9/post",
        method="GET",
        filters=["onMessageAdded", "onConversationUpdated"],
        target="webhook",
    )
    assert default.method == "GET" and default.target == "webhook"
    assert default.filters == ["onMessageAdded", "onConversationUpdated"]
    assert default.url == f"{api.base}/v1/Configuration/Webhooks"
    assert (
        client.conversations.v1.configuration.webhooks().fetch().post_webhook_url
        == "http://127.0.0.1:9/post"
    )

    service = client.conversations.v1.services.create(friendly_name="hooks")
    hooks = client.conversations.v1.services(service.sid).configuration.webhooks()
    assert hooks.fetch().post_webhook_url is None  # nothing configured yet
    updated = hooks.update(post_webhook_url="http://127.0.0.1:9/s", filters=["onParticipantAdded"])
    assert (updated.chat_service_sid, updated.method) == (service.sid, "POST")
    assert hooks.update(post_webhook_url="").post_webhook_url is None  # an empty value clears it


@one_family
def test_invalid_configuration_is_refused_and_nothing_changes(api: Api, family: Family) -> None:
    path = f"{family.root}/Configuration/Webhooks"
    before = api.get(path).json()
    for body in (
        {"PostWebhookUrl": "ftp://example.com"},
        {"PreWebhookUrl": "/relative"},
        {"Filters": ["onMessageAdded", "onNothing"]},
        {"Method": "PUT"},
    ):
        body_json = assert_twilio_error(api.post(path, body), 400, 20001)
        assert next(iter(body)) in body_json["message"]
    assert api.get(path).json() == before


def test_post_events_reach_the_service_level_webhook(
    api: Api, family: Family, webhook_receiver: WebhookReceiver
) -> None:
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
