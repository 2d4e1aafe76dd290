"""The account's Conversations Configuration (/v1/Configuration): its shape, and what its
defaults do to the conversations created afterwards."""

import re

from chinwag.testing import WebhookReceiver
from tests.conftest import assert_twilio_error
from tests.e2e.tenants import Tenant, new_tenant
from tests.inprocess import AppServer

MG = re.compile(r"^MG[0-9a-f]{32}$")
OWN_MG = "MG" + "b" * 32
KEYS = {"account_sid", "default_chat_service_sid", "default_messaging_service_sid"}
KEYS |= {"default_inactive_timer", "default_closed_timer", "url", "links"}


def test_configuration_has_the_documented_shape(tenant: Tenant) -> None:
    response = tenant.api.get("/v1/Configuration")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == KEYS
    assert body["account_sid"] == tenant.sid
    assert MG.match(body["default_messaging_service_sid"])
    assert body["default_inactive_timer"] is None and body["default_closed_timer"] is None
    # the default service is the one the /v1/Conversations paths use
    conversation = tenant.api.post("/v1/Conversations", {}).json()
    assert body["default_chat_service_sid"] == conversation["chat_service_sid"]
    base = tenant.api.base
    assert body["url"] == f"{base}/v1/Configuration"
    assert body["links"] == {
        "service": f"{base}/v1/Services/{body['default_chat_service_sid']}/Configuration",
        "webhooks": f"{base}/v1/Configuration/Webhooks",
    }


def test_every_account_has_its_own_default_messaging_service(
    tenant: Tenant, app_server: AppServer
) -> None:
    other = new_tenant(app_server, "other")
    mine = tenant.client.conversations.v1.configuration().fetch()
    theirs = other.client.conversations.v1.configuration().fetch()
    assert mine.default_messaging_service_sid != theirs.default_messaging_service_sid
    assert mine.default_chat_service_sid != theirs.default_chat_service_sid
    tenant.client.conversations.v1.configuration().update(default_inactive_timer="PT5M")
    assert other.client.conversations.v1.configuration().fetch().default_inactive_timer is None


def test_conversations_created_without_one_get_the_default_messaging_service(
    tenant: Tenant,
) -> None:
    default = tenant.client.conversations.v1.configuration().fetch().default_messaging_service_sid
    service = tenant.client.conversations.v1.services.create(friendly_name="second").sid
    for root in ("/v1", f"/v1/Services/{service}"):
        bare = tenant.api.post(f"{root}/Conversations", {}).json()
        assert bare["messaging_service_sid"] == default
        own = tenant.api.post(f"{root}/Conversations", {"MessagingServiceSid": OWN_MG}).json()
        assert own["messaging_service_sid"] == OWN_MG
        with_members = tenant.api.post(
            f"{root}/ConversationWithParticipants", {"Participant": '{"identity": "a"}'}
        ).json()
        assert with_members["messaging_service_sid"] == default


def test_event_payloads_carry_the_default_messaging_service(tenant: Tenant) -> None:
    receiver = WebhookReceiver(tenant.auth_token).start()
    try:
        default = tenant.client.conversations.v1.configuration().fetch()
        tenant.api.post(
            "/v1/Configuration/Webhooks",
            {
                "PostWebhookUrl": receiver.url + "/events",
                "Filters": ["onConversationAdded", "onMessageAdded"],
            },
        )
        enabled = {"X-Twilio-Webhook-Enabled": "true"}
        conversation = tenant.api.post("/v1/Conversations", {}, headers=enabled).json()
        tenant.api.post(
            f"{conversation['url']}/Messages", {"Author": "a", "Body": "hi"}, headers=enabled
        )
        received = receiver.wait_for(2)
    finally:
        receiver.stop()
    assert [r.form["EventType"] for r in received] == ["onConversationAdded", "onMessageAdded"]
    assert all(r.signature_valid for r in received)
    for request in received:
        assert request.form["MessagingServiceSid"] == default.default_messaging_service_sid


def test_default_timers_apply_to_conversations_created_without_their_own(tenant: Tenant) -> None:
    configuration = tenant.client.conversations.v1.configuration()
    updated = configuration.update(
        default_inactive_timer="PT5M",
        default_closed_timer="PT1H",
        default_messaging_service_sid=OWN_MG,
    )
    assert (updated.default_inactive_timer, updated.default_closed_timer) == ("PT5M", "PT1H")
    assert updated.default_messaging_service_sid == OWN_MG
    assert configuration.fetch().default_closed_timer == "PT1H"

    bare = tenant.client.conversations.v1.conversations.create()
    assert set(bare.timers) == {"date_inactive", "date_closed"}
    assert bare.messaging_service_sid == OWN_MG
    with_members = tenant.api.post(
        "/v1/ConversationWithParticipants", {"Participant": '{"identity": "a"}'}
    ).json()
    assert set(with_members["timers"]) == {"date_inactive", "date_closed"}
    # a conversation's own timer wins, each timer separately
    own = tenant.api.post("/v1/Conversations", {"Timers.Closed": "P1D"}).json()
    assert own["timers"]["date_closed"] > bare.timers["date_closed"]
    assert "date_inactive" in own["timers"]

    cleared = configuration.update(default_inactive_timer="", default_closed_timer="")
    assert cleared.default_inactive_timer is None and cleared.default_closed_timer is None
    assert tenant.client.conversations.v1.conversations.create().timers == {}


def test_default_chat_service_repoints_the_default_paths(tenant: Tenant) -> None:
    api = tenant.api
    first = api.get("/v1/Configuration").json()["default_chat_service_sid"]
    old = api.post("/v1/Conversations", {"UniqueName": "old"}).json()
    second = tenant.client.conversations.v1.services.create(friendly_name="second").sid
    moved = api.post(f"/v1/Services/{second}/Conversations", {"UniqueName": "moved"}).json()

    body = api.post("/v1/Configuration", {"DefaultChatServiceSid": second}).json()
    assert body["default_chat_service_sid"] == second
    assert body["links"]["service"].endswith(f"/v1/Services/{second}/Configuration")
    assert api.get("/v1/Configuration").json()["default_chat_service_sid"] == second

    assert api.get(f"/v1/Conversations/{moved['sid']}").json()["sid"] == moved["sid"]
    assert api.get("/v1/Conversations/moved").status_code == 200
    assert_twilio_error(api.get(f"/v1/Conversations/{old['sid']}"), 404, 20404)
    # a conversation's sub-resources read the default service with the conversation
    assert api.get(f"/v1/Conversations/{moved['sid']}/Webhooks").status_code == 200
    assert api.get("/v1/Conversations/moved/Participants").status_code == 200
    assert_twilio_error(api.get(f"/v1/Conversations/{old['sid']}/Webhooks"), 404, 20404)
    listed = api.get("/v1/Conversations").json()["conversations"]
    assert [c["sid"] for c in listed] == [moved["sid"]]
    created = api.post("/v1/Conversations", {}).json()
    assert created["chat_service_sid"] == second
    assert created["url"] == f"{api.base}/v1/Conversations/{created['sid']}"
    # the first service is an ordinary one now, still on its own path
    assert api.get(f"/v1/Services/{first}/Conversations/{old['sid']}").status_code == 200

    api.post("/v1/Configuration", {"DefaultChatServiceSid": first})
    assert api.get(f"/v1/Conversations/{old['sid']}").status_code == 200


def test_deleting_the_default_service_leaves_no_default(tenant: Tenant) -> None:
    first = tenant.api.get("/v1/Configuration").json()["default_chat_service_sid"]
    gone = tenant.api.post(f"/v1/Services/{first}/Conversations", {}).json()["sid"]
    assert tenant.api.delete(f"/v1/Services/{first}").status_code == 204
    for path in (f"/v1/Conversations/{gone}/Webhooks", "/v1/Conversations/anything/Messages"):
        refused = tenant.api.get(path)
        assert_twilio_error(refused, 404, 20404)
        assert refused.json()["message"] == "This account has no default Conversation Service."
    body = tenant.api.get("/v1/Configuration").json()
    assert body["default_chat_service_sid"] is None
    assert body["links"] == {"webhooks": f"{tenant.api.base}/v1/Configuration/Webhooks"}
    second = tenant.client.conversations.v1.services.create(friendly_name="next").sid
    tenant.api.post("/v1/Configuration", {"DefaultChatServiceSid": second})
    assert tenant.api.post("/v1/Conversations", {}).json()["chat_service_sid"] == second


def test_invalid_values_are_refused_and_nothing_is_written(
    tenant: Tenant, app_server: AppServer
) -> None:
    api = tenant.api
    before = api.get("/v1/Configuration").json()
    theirs = new_tenant(app_server, "other").api.get("/v1/Configuration").json()
    cases = [
        ({"DefaultChatServiceSid": "IS123"}, 400, 20001),
        ({"DefaultChatServiceSid": "IS" + "0" * 32}, 400, 50050),
        ({"DefaultChatServiceSid": theirs["default_chat_service_sid"]}, 400, 50050),
        ({"DefaultMessagingServiceSid": "MG1"}, 400, 50341),
        ({"DefaultMessagingServiceSid": ""}, 400, 50341),
        ({"DefaultInactiveTimer": "soon"}, 400, 50379),
        ({"DefaultInactiveTimer": "PT30S"}, 400, 50375),
        ({"DefaultClosedTimer": "later"}, 400, 50380),
        ({"DefaultClosedTimer": "PT5M"}, 400, 50376),
        # a valid change beside an invalid one is not written either
        ({"DefaultInactiveTimer": "PT5M", "DefaultClosedTimer": "PT1M"}, 400, 50376),
    ]
    for data, status, code in cases:
        body = assert_twilio_error(api.post("/v1/Configuration", data), status, code)
        assert any(f"'{value}'" in body["message"] for value in data.values()), body
    assert api.get("/v1/Configuration").json() == before


def test_pt0s_disables_a_default_timer(tenant: Tenant) -> None:
    """ "To remove or disable the default inactive timer, set its value to PT0S"
    (support.twilio.com 46619837838235); any zero duration does it, for either timer."""
    configuration = tenant.client.conversations.v1.configuration()
    configuration.update(default_inactive_timer="PT5M", default_closed_timer="PT1H")
    timed = tenant.client.conversations.v1.conversations.create()
    assert set(timed.timers) == {"date_inactive", "date_closed"}

    disabled = configuration.update(default_inactive_timer="PT0S")
    assert disabled.default_inactive_timer is None and disabled.default_closed_timer == "PT1H"
    assert set(tenant.client.conversations.v1.conversations.create().timers) == {"date_closed"}
    disabled = configuration.update(default_closed_timer="P0D")
    assert disabled.default_closed_timer is None
    assert configuration.fetch().default_closed_timer is None
    assert tenant.client.conversations.v1.conversations.create().timers == {}
