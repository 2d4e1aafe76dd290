"""A service's Configuration and Configuration/Notifications, and the default roles they give."""

import json

from twilio.rest import Client

from chinwag.testing import WebhookReceiver
from tests.conftest import Api, assert_twilio_error, customer_number, other_account
from tests.e2e.role_helpers import custom_role, default_roles
from tests.inprocess import AppServer

MISSING_ROLE = "RL" + "0" * 32
ENABLED = {"X-Twilio-Webhook-Enabled": "true"}


def new_service(api: Api) -> str:
    sid: str = api.post("/v1/Services", {"FriendlyName": "configured"}).json()["sid"]
    return sid


def test_configuration_has_the_documented_shape(api: Api) -> None:
    service = new_service(api)
    url = f"{api.base}/v1/Services/{service}/Configuration"
    body = api.get(f"/v1/Services/{service}/Configuration").json()
    defaults = default_roles(api, f"/v1/Services/{service}")
    assert body == {
        "chat_service_sid": service,
        "default_conversation_creator_role_sid": defaults["channel admin"],
        "default_conversation_role_sid": defaults["channel user"],
        "default_chat_service_role_sid": defaults["service user"],
        "reachability_enabled": False,
        "url": url,
        "links": {"notifications": f"{url}/Notifications", "webhooks": f"{url}/Webhooks"},
    }


def test_update_through_twilio_python(api: Api, client: Client) -> None:
    service = new_service(api)
    root = f"/v1/Services/{service}"
    creator, member = custom_role(api, root, name="creator"), custom_role(api, root)
    user_role = custom_role(api, root, "service")
    configuration = client.conversations.v1.services(service).configuration()
    updated = configuration.update(
        default_conversation_creator_role_sid=creator,
        default_conversation_role_sid=member,
        default_chat_service_role_sid=user_role,
        reachability_enabled=True,
    )
    assert (updated.default_conversation_creator_role_sid, updated.reachability_enabled) == (
        creator,
        True,
    )
    assert updated.default_conversation_role_sid == member
    assert updated.default_chat_service_role_sid == user_role
    # Parameters not given keep their values.
    again = configuration.update(reachability_enabled=False)
    assert (again.default_conversation_role_sid, again.reachability_enabled) == (member, False)
    assert configuration.fetch().default_chat_service_role_sid == user_role


def test_new_members_get_the_configured_default_roles(
    api: Api, webhook_receiver: WebhookReceiver
) -> None:
    service = new_service(api)
    root = f"/v1/Services/{service}"
    defaults = default_roles(api, root)
    conversation = api.post(f"{root}/Conversations", {}).json()["sid"]
    participants = f"{root}/Conversations/{conversation}/Participants"
    assert api.post(participants, {"Identity": "a"}).json()["role_sid"] == defaults["channel user"]
    sms = {
        "MessagingBinding.Address": customer_number(),
        "MessagingBinding.ProxyAddress": "+15017122661",
    }
    assert api.post(participants, sms).json()["role_sid"] == defaults["channel user"]
    # the participant's identity got a user, with the service's default user role
    assert api.get(f"{root}/Users/a").json()["role_sid"] == defaults["service user"]
    assert (
        api.post(f"{root}/Users", {"Identity": "u"}).json()["role_sid"]
        == (defaults["service user"])
    )

    member, user_role = custom_role(api, root), custom_role(api, root, "service")
    api.post(
        f"{root}/Configuration",
        {"DefaultConversationRoleSid": member, "DefaultChatServiceRoleSid": user_role},
    )
    assert api.post(participants, {"Identity": "b"}).json()["role_sid"] == member
    assert api.post(f"{root}/Users", {"Identity": "v"}).json()["role_sid"] == user_role
    together = api.post(
        f"{root}/ConversationWithParticipants",
        {"Participant": [json.dumps({"identity": "c"}), json.dumps({"identity": "d"})]},
    ).json()
    listed = api.get(together["links"]["participants"]).json()["participants"]
    assert [p["role_sid"] for p in listed] == [member, member]

    # ... and the participant events carry it.
    api.post(
        f"{root}/Configuration/Webhooks",
        {"PostWebhookUrl": webhook_receiver.url + "/p", "Filters": "onParticipantAdded"},
    )
    added = api.post(participants, {"Identity": "e"}, headers=ENABLED).json()
    [event] = webhook_receiver.wait_for(1)
    assert (event.form["ParticipantSid"], event.form["RoleSid"]) == (added["sid"], member)


def test_roles_must_be_of_the_service_and_of_the_right_type(api: Api) -> None:
    service = new_service(api)
    root = f"/v1/Services/{service}"
    path = f"{root}/Configuration"
    before = api.get(path).json()
    conversation_role, service_role = custom_role(api, root), custom_role(api, root, "service")
    elsewhere = custom_role(api, f"/v1/Services/{new_service(api)}")
    for body, code in (
        ({"DefaultConversationRoleSid": MISSING_ROLE}, 50109),
        ({"DefaultConversationRoleSid": service_role}, 50109),
        ({"DefaultConversationRoleSid": elsewhere}, 50109),
        ({"DefaultConversationCreatorRoleSid": service_role}, 50109),
        ({"DefaultChatServiceRoleSid": conversation_role}, 50100),
        ({"DefaultChatServiceRoleSid": MISSING_ROLE}, 50100),
        ({"DefaultConversationRoleSid": "RL1"}, 20001),
        ({"ReachabilityEnabled": "yes"}, 20001),
        # nothing is written when any parameter is refused
        ({"DefaultConversationRoleSid": conversation_role, "ReachabilityEnabled": "1"}, 20001),
        (
            {"ReachabilityEnabled": "true", "DefaultChatServiceRoleSid": conversation_role},
            50100,
        ),
    ):
        assert_twilio_error(api.post(path, body), 400, code)
    assert api.get(path).json() == before


def test_notifications_default_to_off_and_keep_what_is_set(api: Api, client: Client) -> None:
    service = new_service(api)
    path = f"/v1/Services/{service}/Configuration/Notifications"
    body = api.get(path).json()
    assert body == {
        "account_sid": body["account_sid"],
        "chat_service_sid": service,
        "log_enabled": False,
        "added_to_conversation": {"enabled": False, "template": None, "sound": None},
        "new_message": {
            "enabled": False,
            "template": None,
            "badge_count_enabled": False,
            "sound": None,
            "with_media": {"enabled": False, "template": None},
        },
        "removed_from_conversation": {"enabled": False, "template": None, "sound": None},
        "url": f"{api.base}{path}",
    }
    assert body["account_sid"].startswith("AC")

    notifications = client.conversations.v1.services(service).configuration.notifications()
    updated = notifications.update(
        log_enabled=True,
        new_message_enabled=True,
        new_message_template="${PARTICIPANT}: ${MESSAGE}",
        new_message_sound="ring",
        new_message_badge_count_enabled=True,
        new_message_with_media_enabled=True,
        new_message_with_media_template="${MEDIA_COUNT} files",
        added_to_conversation_enabled=True,
        added_to_conversation_template="Added to ${CONVERSATION}",
        added_to_conversation_sound="ding",
        removed_from_conversation_enabled=True,
        removed_from_conversation_template="Removed from ${CONVERSATION}",
        removed_from_conversation_sound="dong",
    )
    assert updated.log_enabled is True
    assert updated.new_message == {
        "enabled": True,
        "template": "${PARTICIPANT}: ${MESSAGE}",
        "badge_count_enabled": True,
        "sound": "ring",
        "with_media": {"enabled": True, "template": "${MEDIA_COUNT} files"},
    }
    assert updated.added_to_conversation == {
        "enabled": True,
        "template": "Added to ${CONVERSATION}",
        "sound": "ding",
    }
    assert updated.removed_from_conversation == {
        "enabled": True,
        "template": "Removed from ${CONVERSATION}",
        "sound": "dong",
    }
    # A partial update keeps the rest; an empty text clears it.
    api.post(path, {"NewMessage.Enabled": "false", "AddedToConversation.Sound": ""})
    after = notifications.fetch()
    assert after.new_message["enabled"] is False and after.new_message["sound"] == "ring"
    assert after.added_to_conversation == {
        "enabled": True,
        "template": "Added to ${CONVERSATION}",
        "sound": None,
    }
    assert after.log_enabled is True


def test_notification_flags_must_be_true_or_false(api: Api) -> None:
    path = f"/v1/Services/{new_service(api)}/Configuration/Notifications"
    before = api.get(path).json()
    for name in ("LogEnabled", "NewMessage.Enabled", "NewMessage.WithMedia.Enabled"):
        body = {"NewMessage.Template": "kept?", name: "maybe"}
        refused = assert_twilio_error(api.post(path, body), 400, 20001)
        assert name in refused["message"] and "'maybe'" in refused["message"]
    assert api.get(path).json() == before
    assert api.post(path, {"LogEnabled": "TRUE"}).json()["log_enabled"] is True


def test_another_account_cannot_see_a_services_configuration(
    app_server: AppServer, api: Api
) -> None:
    intruder = other_account(app_server)
    service = new_service(api)
    for path in (
        f"/v1/Services/{service}/Configuration",
        f"/v1/Services/{service}/Configuration/Notifications",
    ):
        assert_twilio_error(intruder.get(path), 404, 20404)
        assert_twilio_error(intruder.post(path, {"LogEnabled": "true"}), 404, 20404)
    assert (
        api.get(f"/v1/Services/{service}/Configuration/Notifications").json()["log_enabled"]
        is False
    )
    # Twilio has these only under a named service.
    assert_twilio_error(api.get("/v1/Configuration/Notifications"), 404, 20404)
