"""Delivery receipts and a message's aggregated `delivery`, through twilio-python and raw HTTP.

Receipts are recorded with chinwag's own `POST /chinwag/v1/.../Receipts` (what an SMS
or WhatsApp channel reports) and read through Twilio's operations.
"""

import re
from dataclasses import dataclass
from typing import Any

from twilio.rest import Client

from chinwag.testing import WebhookReceiver
from tests.conftest import Api, assert_twilio_error, customer_number, other_account
from tests.databases import run_sql
from tests.e2e.families import Family, one_family
from tests.inprocess import AppServer

SID = re.compile(r"^DY[0-9a-f]{32}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
KEYS = {"account_sid", "chat_service_sid", "conversation_sid", "message_sid", "sid"}
KEYS |= {"channel_message_sid", "participant_sid", "status", "error_code"}
KEYS |= {"date_created", "date_updated", "url"}


@dataclass(frozen=True)
class Scene:
    """A conversation with a chat author, two SMS recipients and one message."""

    conversation: str  # raw-HTTP path of the conversation
    message: dict[str, Any]
    sms: list[str]  # the SMS participants' SIDs
    chat: str  # the chat participant's SID (the message's author)

    @property
    def receipts(self) -> str:
        return f"{self.conversation}/Messages/{self.message['sid']}/Receipts"

    @property
    def record_path(self) -> str:
        return "/chinwag" + self.receipts


def scene(api: Api, family: Family, recipients: int = 2) -> Scene:
    created = api.post(f"{family.root}/Conversations", {"FriendlyName": "receipts"}).json()
    path = f"{family.root}/Conversations/{created['sid']}"
    chat = api.post(f"{path}/Participants", {"Identity": "agent"}).json()["sid"]
    # Posted before the SMS participants join, so the simulated carrier sends it to no one
    # (tests/e2e/test_channels.py covers that): these tests record every receipt themselves.
    message = api.post(f"{path}/Messages", {"Author": "agent", "Body": "Your order shipped"}).json()
    sms = [
        api.post(
            f"{path}/Participants",
            {
                "MessagingBinding.Address": customer_number(),
                "MessagingBinding.ProxyAddress": "+15017122661",
            },
        ).json()["sid"]
        for _ in range(recipients)
    ]
    return Scene(path, message, sms, chat)


def record(api: Api, scene: Scene, participant: str, status: str, **more: str) -> Any:
    return api.post(scene.record_path, {"ParticipantSid": participant, "Status": status, **more})


def test_receipt_has_the_documented_shape(api: Api, family: Family) -> None:
    s = scene(api, family)
    response = record(api, s, s.sms[0], "sent")
    assert response.status_code == 201, response.text
    body = response.json()
    keys = KEYS if family.service_sid else KEYS - {"chat_service_sid"}
    assert set(body) == keys
    assert SID.match(body["sid"])
    assert body["message_sid"] == s.message["sid"]
    assert body["conversation_sid"] == s.message["conversation_sid"]
    assert body["participant_sid"] == s.sms[0]
    assert (body["status"], body["error_code"]) == ("sent", 0)
    assert re.match(r"^SM[0-9a-f]{32}$", body["channel_message_sid"])
    # "`null` if the delivery receipt has not been updated" (spec)
    assert DATE.match(body["date_created"]) and body["date_updated"] is None
    assert body["url"] == f"{api.base}{s.receipts}/{body['sid']}"
    if family.service_sid:
        assert body["chat_service_sid"] == family.service_sid
    assert api.get(body["url"]).json() == body


def test_recording_again_updates_the_participants_receipt(api: Api, family: Family) -> None:
    s = scene(api, family)
    first = record(api, s, s.sms[0], "sent").json()
    again = record(api, s, s.sms[0], "undelivered", ErrorCode="30005")
    assert again.status_code == 200, again.text
    updated = again.json()
    assert updated["sid"] == first["sid"]
    assert (updated["status"], updated["error_code"]) == ("undelivered", 30005)
    assert updated["channel_message_sid"] == first["channel_message_sid"]
    assert DATE.match(updated["date_updated"])
    listed = api.get(s.receipts).json()["delivery_receipts"]
    assert listed == [updated]


def test_receipts_through_twilio_python(api: Api, family: Family) -> None:
    s = scene(api, family)
    sent = record(api, s, s.sms[0], "read").json()
    record(api, s, s.sms[1], "failed", ErrorCode="30003", ChannelMessageSid="SM" + "b" * 32)
    conversation = family.scope.conversations(s.message["conversation_sid"])
    receipts = conversation.messages(s.message["sid"]).delivery_receipts
    listed = receipts.list()
    assert [(r.participant_sid, r.status, r.error_code) for r in listed] == [
        (s.sms[0], "read", 0),
        (s.sms[1], "failed", 30003),
    ]
    assert listed[1].channel_message_sid == "SM" + "b" * 32
    fetched = receipts(sent["sid"]).fetch()
    assert (fetched.sid, fetched.message_sid, fetched.status) == (
        sent["sid"],
        s.message["sid"],
        "read",
    )
    assert fetched.date_created.tzinfo is not None and fetched.date_updated is None


def test_message_delivery_summarises_its_receipts(api: Api, family: Family) -> None:
    s = scene(api, family, recipients=3)
    message_url = s.message["url"]
    assert api.get(message_url).json()["delivery"] is None  # no receipts yet
    record(api, s, s.sms[0], "read")
    record(api, s, s.sms[1], "delivered")
    record(api, s, s.sms[2], "sent")
    assert api.get(message_url).json()["delivery"] == {
        "total": 3,
        "sent": "all",
        "delivered": "some",
        "read": "some",
        "failed": "none",
        "undelivered": "none",
    }
    record(api, s, s.sms[2], "failed", ErrorCode="30008")
    conversation = family.scope.conversations(s.message["conversation_sid"])
    delivery = conversation.messages(s.message["sid"]).fetch().delivery
    assert delivery == {
        "total": 3,
        "sent": "some",
        "delivered": "some",
        "read": "some",
        "failed": "some",
        "undelivered": "none",
    }
    # an update answers with the summary too
    assert api.post(message_url, {"Attributes": '{"x": 1}'}).json()["delivery"] == delivery


@one_family
def test_message_list_carries_each_messages_summary(api: Api, family: Family) -> None:
    s = scene(api, family, recipients=1)
    # Written by the only SMS recipient, so the carrier sends it to no one: no receipts.
    customer = api.get(f"{s.conversation}/Participants/{s.sms[0]}").json()
    author = customer["messaging_binding"]["address"]
    second = api.post(f"{s.conversation}/Messages", {"Body": "no receipts", "Author": author})
    second = second.json()
    record(api, s, s.sms[0], "delivered")
    page = api.get(f"{s.conversation}/Messages", params={"PageSize": 1}).json()
    [listed] = page["messages"]
    assert listed["delivery"] == {
        "total": 1,
        "sent": "all",
        "delivered": "all",
        "read": "none",
        "failed": "none",
        "undelivered": "none",
    }
    [following] = api.get(page["meta"]["next_page_url"]).json()["messages"]
    assert following["sid"] == second["sid"] and following["delivery"] is None


@one_family
def test_invalid_receipts_are_refused_and_nothing_is_written(api: Api, family: Family) -> None:
    s = scene(api, family)
    sms = s.sms[0]
    assert_twilio_error(api.post(s.record_path, {"Status": "sent"}), 400, 50431)
    missing = "MB" + "0" * 32
    assert_twilio_error(record(api, s, missing, "sent"), 404, 50432)
    assert_twilio_error(record(api, s, "not-a-sid", "sent"), 404, 50432)
    assert_twilio_error(api.post(s.record_path, {"ParticipantSid": sms}), 400, 20001)
    assert_twilio_error(record(api, s, sms, "queued"), 400, 20001)
    assert_twilio_error(record(api, s, sms, "sent", ErrorCode="30003"), 400, 20001)
    assert_twilio_error(record(api, s, sms, "failed", ErrorCode="-1"), 400, 20001)
    assert_twilio_error(record(api, s, sms, "sent", ChannelMessageSid="SM1"), 400, 20001)
    # receipts are for non-chat participants; the author gets none
    assert_twilio_error(record(api, s, s.chat, "read"), 400, 20001)
    mms = {"Identity": "mms", "MessagingBinding.ProjectedAddress": "+15550009999"}
    author = api.post(f"{s.conversation}/Participants", mms).json()["sid"]
    own = api.post(f"{s.conversation}/Messages", {"Author": "mms", "Body": "hi"}).json()
    assert own["participant_sid"] == author
    own_path = f"/chinwag{s.conversation}/Messages/{own['sid']}/Receipts"
    response = api.post(own_path, {"ParticipantSid": author, "Status": "sent"})
    assert "author" in assert_twilio_error(response, 400, 20001)["message"]
    assert api.get(s.receipts).json()["delivery_receipts"] == []
    assert api.get(s.message["url"]).json()["delivery"] is None


@one_family
def test_missing_receipts_messages_and_conversations_are_404(api: Api, family: Family) -> None:
    s = scene(api, family)
    assert_twilio_error(api.get(f"{s.receipts}/DY{'0' * 32}"), 404, 20404)
    assert_twilio_error(api.get(f"{s.receipts}/nope"), 404, 20404)
    missing_message = f"{s.conversation}/Messages/IM{'0' * 32}/Receipts"
    assert_twilio_error(api.get(missing_message), 404, 20404)
    assert_twilio_error(api.post("/chinwag" + missing_message, {"Status": "sent"}), 404, 20404)
    gone = f"{family.root}/Conversations/CH{'0' * 32}/Messages/{s.message['sid']}/Receipts"
    assert_twilio_error(api.get(gone), 404, 20404)
    # another conversation's message is not under this one
    other = scene(api, family)
    receipt = record(api, other, other.sms[0], "sent").json()
    borrowed = f"{s.conversation}/Messages/{other.message['sid']}/Receipts"
    assert_twilio_error(api.get(f"{borrowed}/{receipt['sid']}"), 404, 20404)


@one_family
def test_receipt_list_pages_at_most_fifty(api: Api, family: Family) -> None:
    s = scene(api, family, recipients=3)
    for sms in s.sms:
        record(api, s, sms, "sent")
    page = api.get(s.receipts, params={"PageSize": 2}).json()
    assert [r["participant_sid"] for r in page["delivery_receipts"]] == s.sms[:2]
    assert page["meta"]["key"] == "delivery_receipts" and page["meta"]["page_size"] == 2
    assert page["meta"]["url"].startswith(f"{api.base}{s.receipts}?")
    following = api.get(page["meta"]["next_page_url"]).json()
    assert [r["participant_sid"] for r in following["delivery_receipts"]] == s.sms[2:]
    assert following["meta"]["next_page_url"] is None
    assert api.get(s.receipts, params={"PageSize": 500}).json()["meta"]["page_size"] == 50


@one_family
def test_deleting_a_participant_message_conversation_or_service_removes_receipts(
    app_server: AppServer, api: Api, client: Client, family: Family
) -> None:
    s = scene(api, family)
    kept, dropped = (record(api, s, sms, "sent").json() for sms in s.sms)
    assert api.delete(f"{s.conversation}/Participants/{s.sms[1]}").status_code == 204
    assert api.get(s.receipts).json()["delivery_receipts"] == [kept]
    assert_twilio_error(api.get(dropped["url"]), 404, 20404)
    assert api.get(s.message["url"]).json()["delivery"]["total"] == 1

    def receipts_of(conversation: Scene) -> list[tuple[Any, ...]]:
        rows = "SELECT sid FROM delivery_receipts WHERE message_sid = :message"
        return run_sql(app_server.database_url, rows, message=conversation.message["sid"])

    assert api.delete(s.message["url"]).status_code == 204
    assert receipts_of(s) == []
    again = scene(api, family)
    record(api, again, again.sms[0], "sent")
    assert api.delete(again.conversation).status_code == 204
    assert receipts_of(again) == []
    service = client.conversations.v1.services.create(friendly_name="goes").sid
    last = scene(api, Family("service", f"/v1/Services/{service}", None, service))
    record(api, last, last.sms[0], "sent")
    assert len(receipts_of(last)) == 1
    assert api.delete(f"/v1/Services/{service}").status_code == 204
    assert receipts_of(last) == []


def test_another_accounts_receipts_are_invisible(app_server: AppServer, api: Api) -> None:
    s = scene(api, Family("default", "/v1", None, None))
    receipt = record(api, s, s.sms[0], "sent").json()
    intruder = other_account(app_server)
    assert_twilio_error(intruder.get(receipt["url"]), 404, 20404)
    assert_twilio_error(intruder.get(s.receipts), 404, 20404)
    assert_twilio_error(intruder.post(s.record_path, {"Status": "read"}), 404, 20404)
    assert api.get(receipt["url"]).json() == receipt


def test_a_receipt_fires_on_delivery_updated(
    api: Api, client: Client, webhook_receiver: WebhookReceiver
) -> None:
    service = client.conversations.v1.services.create(friendly_name="receipt events").sid
    family = Family("service", f"/v1/Services/{service}", None, service)
    s = scene(api, family)
    api.post(
        f"{family.root}/Configuration/Webhooks",
        {"PostWebhookUrl": webhook_receiver.url + "/service", "Filters": "onDeliveryUpdated"},
    )
    hooks = f"{s.conversation}/Webhooks"
    scoped = {"Target": "webhook", "Configuration.Url": webhook_receiver.url + "/scoped"}
    api.post(hooks, {**scoped, "Configuration.Filters": "onDeliveryUpdated"})
    # a channel's report is not a REST change: no X-Twilio-Webhook-Enabled needed
    receipt = record(api, s, s.sms[0], "failed", ErrorCode="30003").json()
    delivered = webhook_receiver.wait_for(2)
    assert sorted(r.url.rsplit("/", 1)[1] for r in delivered) == ["scoped", "service"]
    for request in delivered:
        assert request.signature_valid
        assert [name for name, _ in request.params] == [
            "EventType",
            "AccountSid",
            "ConversationSid",
            "ChatServiceSid",
            "MessageSid",
            "DeliveryReceiptSid",
            "ChannelMessageSid",
            "ParticipantSid",
            "Status",
            "ErrorCode",
            "DateCreated",
            "DateUpdated",
            "Source",
            "RetryCount",
        ]
        form = request.form
        assert form["EventType"] == "onDeliveryUpdated"
        assert (form["ChatServiceSid"], form["MessageSid"]) == (service, s.message["sid"])
        assert (form["DeliveryReceiptSid"], form["ParticipantSid"]) == (receipt["sid"], s.sms[0])
        assert form["ChannelMessageSid"] == receipt["channel_message_sid"]
        assert (form["Status"], form["ErrorCode"]) == ("failed", "30003")
