"""ConversationWithParticipants: a conversation and its first participants in one request."""

import json
import re
from typing import Any

import pytest
from twilio.rest import Client

from chinwag.testing import WebhookReceiver
from tests.conftest import Api, assert_twilio_error, customer_number
from tests.databases import run_sql
from tests.inprocess import AppServer

ENABLED = {"X-Twilio-Webhook-Enabled": "true"}
CONVERSATION_SID = re.compile(r"^CH[0-9a-f]{32}$")
PROXY = "+15017122661"


def sms() -> dict[str, Any]:
    """An SMS participant with a customer number no open conversation holds."""
    return {"messaging_binding": {"address": customer_number(), "proxy_address": PROXY}}


# Refused requests write nothing, so this pair is never held.
REFUSED_SMS = {"messaging_binding": {"address": "+15550999999", "proxy_address": PROXY}}


def participant(**values: Any) -> str:
    return json.dumps(values)


def participants_of(api: Api, root: str, conversation: str) -> list[dict[str, Any]]:
    path = f"{root}/Conversations/{conversation}/Participants"
    found: list[dict[str, Any]] = api.get(path).json()["participants"]
    return found


def row_counts(server: AppServer, service_sid: str) -> dict[str, int]:
    """The service's rows: other tests' carrier reports keep adding deliveries elsewhere."""
    where = f"WHERE service_sid = '{service_sid}'"
    return {
        table: run_sql(server.database_url, f"SELECT count(*) FROM {table} {where}")[0][0]
        for table in ("conversations", "participants", "deliveries")
    }


def test_twilio_python_creates_the_conversation_with_its_participants(
    client: Client, api: Api
) -> None:
    texting = sms()
    created = client.conversations.v1.conversation_with_participants.create(
        friendly_name="Group",
        unique_name="group-with-participants",
        attributes='{"topic": "delivery"}',
        participant=[
            participant(identity="alice", attributes='{"role": "agent"}'),
            participant(**texting),
            participant(identity="bob", messaging_binding={"projected_address": "+15017122662"}),
        ],
    )
    assert CONVERSATION_SID.match(created.sid)
    assert (created.friendly_name, created.unique_name) == ("Group", "group-with-participants")
    assert created.state == "active"  # never `initializing` once answered
    assert created.attributes == '{"topic": "delivery"}'
    assert created.date_created.tzinfo is not None

    conversation = client.conversations.v1.conversations("group-with-participants").fetch()
    assert conversation.sid == created.sid
    members = {p["identity"]: p for p in participants_of(api, "/v1", created.sid)}
    assert members["alice"]["attributes"] == '{"role": "agent"}'
    assert members[None]["messaging_binding"] == {"type": "sms", **texting["messaging_binding"]}
    assert members["bob"]["messaging_binding"] == {
        "type": "sms",
        "projected_address": "+15017122662",
    }


def test_the_service_family_creates_in_that_service(client: Client, api: Api) -> None:
    service = client.conversations.v1.services.create(friendly_name="with participants")
    created = client.conversations.v1.services(service.sid).conversation_with_participants.create(
        friendly_name="In service", participant=[participant(identity="carol")]
    )
    assert created.chat_service_sid == service.sid
    assert created.url == f"{api.base}/v1/Services/{service.sid}/Conversations/{created.sid}"
    [carol] = participants_of(api, f"/v1/Services/{service.sid}", created.sid)
    assert (carol["identity"], carol["chat_service_sid"]) == ("carol", service.sid)
    # Not in the default service:
    assert api.get(f"/v1/Conversations/{created.sid}").status_code == 404


def test_the_answer_is_the_conversation_with_the_specs_links(api: Api) -> None:
    body = {
        "FriendlyName": "shape",
        "State": "inactive",
        "Timers.Closed": "PT10M",
        "MessagingServiceSid": "MG" + "a" * 32,
        "DateCreated": "2020-07-01T22:18:37Z",
        "Participant": [participant(identity="dave")],
    }
    response = api.post("/v1/ConversationWithParticipants", body)
    assert response.status_code == 202, response.text  # the spec's createWithParticipants
    created = response.json()
    url = f"{api.base}/v1/Conversations/{created['sid']}"
    assert created["url"] == url
    assert created["links"] == {
        "participants": f"{url}/Participants",
        "messages": f"{url}/Messages",
        "webhooks": f"{url}/Webhooks",
    }
    assert created["state"] == "inactive"
    assert created["date_created"] == "2020-07-01T22:18:37Z"
    assert set(created["timers"]) == {"date_closed"}
    assert created["messaging_service_sid"] == "MG" + "a" * 32
    fetched = api.get(url).json()
    assert {k: v for k, v in fetched.items() if k != "links"} == {
        k: v for k, v in created.items() if k != "links"
    }

    without = api.post("/v1/ConversationWithParticipants", {"FriendlyName": "alone"})
    assert without.status_code == 201, without.text  # the spec's create example
    assert participants_of(api, "/v1", without.json()["sid"]) == []


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"Participant": "{identity: alice}"}, 400, 50424),
        ({"Participant": ""}, 400, 50424),
        ({"Participant": '"alice"'}, 400, 50424),
        ({"Participant": '[{"identity": "alice"}]'}, 400, 50424),
        ({"Participant": participant(identity="a", nickname="b")}, 400, 20001),
        ({"Participant": participant(identity=7)}, 400, 20001),
        ({"Participant": participant(messaging_binding="+15558675310")}, 400, 20001),
        ({"Participant": participant(identity="a", date_created="yesterday")}, 400, 20001),
        ({"Participant": [participant(identity="a"), participant(identity="a")]}, 409, 50433),
        ({"Participant": [participant(**REFUSED_SMS), participant(**REFUSED_SMS)]}, 409, 50416),
        ({"Participant": [participant(identity="a"), participant()]}, 400, 20001),
        (
            {
                "Participant": participant(
                    identity="a", messaging_binding={"address": "+15558675310"}
                )
            },
            400,
            50211,
        ),
        ({"Participant": participant(identity="a", attributes="{nope")}, 400, 50304),
        ({"Participant": participant(identity="a", role_sid="RL1")}, 400, 20001),
        ({"Participant": [participant(identity=f"p{n}") for n in range(11)]}, 400, 50426),
        ({"Attributes": "{nope", "Participant": participant(identity="a")}, 400, 50304),
        ({"Timers.Inactive": "PT1S", "Participant": participant(identity="a")}, 400, 50375),
        ({"State": "closed", "Participant": participant(identity="a")}, 400, 50384),
        ({"State": "initializing"}, 400, 50378),
    ],
)
def test_a_refused_request_writes_nothing(
    app_server: AppServer,
    api: Api,
    webhook_receiver: WebhookReceiver,
    body: dict[str, Any],
    status: int,
    code: int,
) -> None:
    service = api.post("/v1/Services", {"FriendlyName": "refusing"}).json()["sid"]
    root = f"/v1/Services/{service}"
    hooks = {
        "PostWebhookUrl": webhook_receiver.url + "/post",
        "Filters": ["onConversationAdded", "onParticipantAdded"],
    }
    assert api.post(f"{root}/Configuration/Webhooks", hooks).status_code == 200
    before = row_counts(app_server, service)

    response = api.post(
        f"{root}/ConversationWithParticipants",
        {"UniqueName": "refused", **body},
        headers=ENABLED,
    )

    assert_twilio_error(response, status, code)
    assert row_counts(app_server, service) == before  # no conversation, participant or event
    assert api.get(f"{root}/Conversations/refused").status_code == 404


def test_a_refused_participant_is_named_by_its_position(api: Api) -> None:
    members = [participant(identity="erin"), participant(identity="erin")]
    response = api.post("/v1/ConversationWithParticipants", {"Participant": members})
    body = assert_twilio_error(response, 409, 50433)
    assert body["message"].startswith("Participant already exists: Participant 2: ")


def test_events_reach_the_service_level_webhook(
    client: Client, api: Api, webhook_receiver: WebhookReceiver
) -> None:
    service = client.conversations.v1.services.create(friendly_name="events")
    hooks = client.conversations.v1.services(service.sid).configuration.webhooks()
    hooks.update(
        post_webhook_url=webhook_receiver.url + "/post",
        filters=["onConversationAdded", "onParticipantAdded"],
    )
    family = client.conversations.v1.services(service.sid).conversation_with_participants
    # Without the header, and when refused, nothing is sent.
    family.create(friendly_name="quiet", participant=[participant(identity="x")])
    refused = api.post(
        f"/v1/Services/{service.sid}/ConversationWithParticipants",
        {"Participant": [participant(identity="y"), participant(identity="y")]},
        headers=ENABLED,
    )
    assert refused.status_code == 409

    texting = sms()
    created = family.create(
        friendly_name="loud",
        participant=[participant(identity="frank"), participant(**texting)],
        x_twilio_webhook_enabled="true",
    )

    added, frank, texter = webhook_receiver.wait_for(3)
    assert all(r.signature_valid for r in (added, frank, texter))
    assert added.form["EventType"] == "onConversationAdded"
    assert added.form["FriendlyName"] == "loud"
    assert added.form["State"] == "active"
    assert [frank.form["EventType"], texter.form["EventType"]] == ["onParticipantAdded"] * 2
    assert frank.form["Identity"] == "frank"
    assert texter.form["MessagingBinding.Address"] == texting["messaging_binding"]["address"]
    for request in (added, frank, texter):
        assert request.form["ConversationSid"] == created.sid
        assert request.form["Source"] == "API"
    assert added.form["ChatServiceSid"] == service.sid  # conversation events only (events.md)
    assert len(webhook_receiver.requests) == 3
