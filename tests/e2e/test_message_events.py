"""Messages fire onMessage* events: filters, trigger keywords, and ReplayAfter."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import requests

from chinwag.testing import WebhookReceiver
from tests.conftest import Api
from tests.inprocess import AppServer

ENABLED = {"X-Twilio-Webhook-Enabled": "true"}


def new_conversation(api: Api) -> str:
    sid: str = api.post("/v1/Conversations", {}).json()["sid"]
    return sid


def test_on_message_added_carries_twilios_parameters(
    api: Api, webhook_receiver: WebhookReceiver, app_server: AppServer
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
    assert form["AccountSid"] == app_server.account_sid
    assert form["ConversationSid"] == conversation
    assert form["MessageSid"] == message["sid"]
    assert (form["Index"], form["Author"], form["Body"]) == ("0", "alice", "hello")
    assert form["Attributes"] == "{}"
    assert form["Source"] == "API" and form["RetryCount"] == "0"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", form["DateCreated"])
    assert "ParticipantSid" not in form  # alice is not a participant
    assert removed.form["EventType"] == "onMessageRemoved"


def test_trigger_webhooks_fire_when_a_keyword_is_present_in_the_body(
    api: Api, webhook_receiver: WebhookReceiver
) -> None:
    """Chat v2's Configuration.Triggers: "A string that will cause us to call the webhook
    when it is present in a message body": a substring, as given, case and all."""
    conversation = new_conversation(api)
    hook = {
        "Target": "trigger",
        "Configuration.Url": webhook_receiver.url + "/trigger",
        "Configuration.Triggers": ["agent", "need help"],
    }
    api.post(f"/v1/Conversations/{conversation}/Webhooks", hook)
    messages = f"/v1/Conversations/{conversation}/Messages"
    bodies = ("agents are slow", "AGENT", "I NEED HELP", "we need help!", "an Agent", "ok")
    for body in bodies:
        api.post(messages, {"Body": body}, headers=ENABLED)
    api.post(messages, {"Body": "the last one: agent"}, headers=ENABLED)
    fired = webhook_receiver.wait_for(3)
    assert [r.form["Body"] for r in fired] == [
        "agents are slow",
        "we need help!",
        "the last one: agent",
    ]
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


def hook_on(
    api: Api, conversation: str, url: str, *filters: str, replay_after: int | None = None
) -> str:
    body: dict[str, object] = {
        "Target": "webhook",
        "Configuration.Url": url,
        "Configuration.Filters": list(filters),
    }
    if replay_after is not None:
        body["Configuration.ReplayAfter"] = str(replay_after)
    response = api.post(f"/v1/Conversations/{conversation}/Webhooks", body)
    assert response.status_code == 201, response.text
    sid: str = response.json()["sid"]
    return sid


def test_fifty_concurrent_posts_get_gap_free_indexes_and_fifty_deliveries_per_webhook(
    api: Api, webhook_receiver: WebhookReceiver
) -> None:
    conversation = new_conversation(api)
    hook_on(api, conversation, webhook_receiver.url + "/one", "onMessageAdded")
    hook_on(api, conversation, webhook_receiver.url + "/two", "onMessageAdded")
    hook_on(api, conversation, webhook_receiver.url + "/never", "onMessageRemoved")
    url = f"{api.base}/v1/Conversations/{conversation}/Messages"
    start = threading.Barrier(50)

    def post(number: int) -> int:
        start.wait()
        response = requests.post(
            url, {"Body": f"m{number}"}, headers=ENABLED, auth=api.session.auth, timeout=10
        )
        index: int = response.json()["index"]
        return index

    with ThreadPoolExecutor(max_workers=50) as pool:
        indexes = sorted(pool.map(post, range(50)))
    assert indexes == list(range(50))
    received = webhook_receiver.wait_for(100)
    paths = [r.url.removeprefix(webhook_receiver.url) for r in received]
    assert paths.count("/one") == paths.count("/two") == 50
    for path in ("/one", "/two"):
        delivered = sorted(int(r.form["Index"]) for r in received if r.url.endswith(path))
        assert delivered == list(range(50))
    assert all(r.signature_valid for r in received)


def test_a_webhook_deleted_before_the_event_gets_nothing(
    api: Api, webhook_receiver: WebhookReceiver
) -> None:
    conversation = new_conversation(api)
    gone = hook_on(api, conversation, webhook_receiver.url + "/gone", "onMessageAdded")
    hook_on(api, conversation, webhook_receiver.url + "/kept", "onMessageAdded")
    api.delete(f"/v1/Conversations/{conversation}/Webhooks/{gone}")
    api.post(f"/v1/Conversations/{conversation}/Messages", {"Body": "hi"}, headers=ENABLED)
    [request] = webhook_receiver.wait_for(1)
    assert request.url == webhook_receiver.url + "/kept"
    api.post(f"/v1/Conversations/{conversation}/Messages", {"Body": "again"}, headers=ENABLED)
    assert [r.url for r in webhook_receiver.wait_for(2)].count(webhook_receiver.url + "/gone") == 0


def test_replay_after_boundaries(api: Api, webhook_receiver: WebhookReceiver) -> None:
    conversation = new_conversation(api)
    for number in range(3):
        api.post(f"/v1/Conversations/{conversation}/Messages", {"Body": f"m{number}"})
    hook_on(api, conversation, webhook_receiver.url + "/all", "onMessageAdded", replay_after=0)
    hook_on(api, conversation, webhook_receiver.url + "/last", "onMessageAdded", replay_after=2)
    hook_on(api, conversation, webhook_receiver.url + "/none", "onMessageAdded", replay_after=3)
    hook_on(
        api, conversation, webhook_receiver.url + "/removed", "onMessageRemoved", replay_after=0
    )
    received = webhook_receiver.wait_for(4)
    by_path = [(r.url.removeprefix(webhook_receiver.url), r.form["Index"]) for r in received]
    assert sorted(by_path) == [("/all", "0"), ("/all", "1"), ("/all", "2"), ("/last", "2")]
    assert [i for p, i in by_path if p == "/all"] == ["0", "1", "2"]  # in index order


def test_rejected_changes_deliver_nothing(api: Api, webhook_receiver: WebhookReceiver) -> None:
    conversation = new_conversation(api)
    hook_on(
        api,
        conversation,
        webhook_receiver.url + "/all",
        "onMessageAdded",
        "onParticipantAdded",
        "onParticipantRemoved",
        "onConversationUpdated",
    )
    root = f"/v1/Conversations/{conversation}"
    probe = api.post(f"{root}/Participants", {"Identity": "probe"}).json()["sid"]  # quietly
    assert (
        api.post(f"{root}/Messages", {"Body": "x", "Attributes": "{"}, headers=ENABLED).status_code
        == 400
    )
    assert (
        api.post(
            f"{root}/Participants/MB{'0' * 32}", {"Attributes": "{}"}, headers=ENABLED
        ).status_code
        == 404
    )
    api.post(root, {"State": "closed"})  # closing quietly (no header)
    closed = api.post(f"{root}/Messages", {"Body": "too late"}, headers=ENABLED)
    assert closed.status_code == 400 and closed.json()["code"] == 50377
    assert api.get(f"{root}/Messages").json()["messages"] == []
    # A valid change for the same webhook: one webhook's deliveries arrive in outbox
    # order, so anything the rejected changes had queued would arrive before it.
    # (A closed conversation still lets a participant go.)
    api.delete(f"{root}/Participants/{probe}", headers=ENABLED)
    [request] = webhook_receiver.wait_for(1)
    assert request.form["EventType"] == "onParticipantRemoved"
    assert len(webhook_receiver.requests) == 1
