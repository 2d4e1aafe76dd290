"""Messages fire onMessage* events: filters, trigger keywords, and ReplayAfter."""

import re

from chinwag.testing import LiveServer, WebhookReceiver
from tests.conftest import Api

ENABLED = {"X-Twilio-Webhook-Enabled": "true"}


def new_conversation(api: Api) -> str:
    sid: str = api.post("/v1/Conversations", {}).json()["sid"]
    return sid


def test_on_message_added_carries_twilios_parameters(
    api: Api, webhook_receiver: WebhookReceiver, chinwag_server: LiveServer
) -> None:
    conversation = new_conversation(api)
    hook = {
        "Target": "webhook",
        "Configuration.Url": webhook_receiver.url + "/bot",
        "Configuration.Filters": ["onMessageSent", "onMessageRemoved"],  # the legacy name too
    }
    api.post(f"/v1/Conversations/{conversation}/Webhooks", hook)
    message = api.post(
        f"/v1/Conversations/{conversation}/Messages",
        {"Author": "alice", "Body": "hello"},
        headers=ENABLED,
    ).json()
    api.delete(f"/v1/Conversations/{conversation}/Messages/{message['sid']}", headers=ENABLED)
    added, removed = webhook_receiver.wait_for(2)
    assert added.signature_valid and removed.signature_valid
    form = added.form
    assert form["EventType"] == "onMessageAdded"
    assert form["AccountSid"] == chinwag_server.account_sid
    assert form["ConversationSid"] == conversation
    assert form["MessageSid"] == message["sid"]
    assert (form["Index"], form["Author"], form["Body"]) == ("0", "alice", "hello")
    assert form["Attributes"] == "{}"
    assert form["Source"] == "API" and form["RetryCount"] == "0"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", form["DateCreated"])
    assert "ParticipantSid" not in form  # alice is not a participant
    assert removed.form["EventType"] == "onMessageRemoved"


def test_trigger_webhooks_fire_on_whole_keywords_in_any_case(
    api: Api, webhook_receiver: WebhookReceiver
) -> None:
    conversation = new_conversation(api)
    hook = {
        "Target": "trigger",
        "Configuration.Url": webhook_receiver.url + "/trigger",
        "Configuration.Triggers": ["help", "agent please"],
    }
    api.post(f"/v1/Conversations/{conversation}/Webhooks", hook)
    messages = f"/v1/Conversations/{conversation}/Messages"
    for body in ("I need HELP now", "that was helpful", "an Agent please!", "help"):
        api.post(messages, {"Body": body}, headers=ENABLED)
    fired = webhook_receiver.wait_for(3)
    assert [r.form["Body"] for r in fired] == ["I need HELP now", "an Agent please!", "help"]
    assert all(r.form["EventType"] == "onMessageAdded" and r.signature_valid for r in fired)


def test_replay_after_delivers_earlier_messages_in_order_before_live_ones(
    api: Api, webhook_receiver: WebhookReceiver
) -> None:
    conversation = new_conversation(api)
    messages = f"/v1/Conversations/{conversation}/Messages"
    for number in range(5):
        api.post(messages, {"Body": f"early {number}"})  # no header: fires nothing by itself
    hook = {
        "Target": "webhook",
        "Configuration.Url": webhook_receiver.url + "/late-bot",
        "Configuration.Filters": "onMessageAdded",
        "Configuration.ReplayAfter": "2",
    }
    assert api.post(f"/v1/Conversations/{conversation}/Webhooks", hook).status_code == 201
    api.post(messages, {"Body": "live"}, headers=ENABLED)
    received = webhook_receiver.wait_for(4)
    assert [(r.form["Index"], r.form["Body"]) for r in received] == [
        ("2", "early 2"),
        ("3", "early 3"),
        ("4", "early 4"),
        ("5", "live"),
    ]
    assert all(r.signature_valid and r.form["EventType"] == "onMessageAdded" for r in received)
    tokens = {r.headers["I-Twilio-Idempotency-Token"] for r in received}
    assert len(tokens) == 4  # one delivery each
