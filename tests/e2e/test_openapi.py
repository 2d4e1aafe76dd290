"""Every implemented operation, on both path families, answers what Twilio's OpenAPI document says.

The walk drives each route in chinwag's route table once and validates the response
(status, headers, body) against the spec shipped in the package; a route added
without being walked here fails the coverage check.
"""

import json
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from chinwag.resources.routes import EVENTS_ROUTES, twilio_routes
from chinwag.testing import LiveServer
from tests.conftest import Api, customer_number

TWILIO = "https://conversations.twilio.com"
EVENTS = "https://events.twilio.com"  # Event Streams: twilio_events_v1.json's server
FLOW_SID = "FW" + "a" * 32


def _document(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(files("chinwag").joinpath(f"spec/{name}").read_text())
    return loaded


@pytest.fixture(scope="session")  # seconds to build: once, for both engines' walks
def spec() -> OpenAPI:
    return OpenAPI.from_dict(_document("twilio_conversations_v1.json"))


@pytest.fixture(scope="session")
def events_spec() -> OpenAPI:
    return OpenAPI.from_dict(_document("twilio_events_v1.json"))


@dataclass
class Walk:
    api: Api
    spec: OpenAPI
    covered: set[tuple[str, str]] = field(default_factory=set)
    host: str = TWILIO  # the spec's server, where the exchange is validated as if made

    def call(self, method: str, template: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.api.request(method, path, **kwargs)
        assert response.status_code < 400, (method, path, response.text)
        self.validate(response)
        self.covered.add((method, template))
        return response.json() if response.content else {}

    def call_quietly(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """A call outside Twilio's spec (chinwag's own API, or setting up): not validated."""
        response = self.api.request(method, path, **kwargs)
        assert response.status_code < 400, (method, path, response.text)
        body: dict[str, Any] = response.json()
        return body

    def validate(self, response: requests.Response) -> None:
        """Validate as if the exchange had been with Twilio: same path, Twilio's host."""
        original = response.request
        as_twilio = requests.Request(
            original.method,
            self.host + original.path_url,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ).prepare()
        as_twilio.body = original.body
        self.spec.validate_response(
            RequestsOpenAPIRequest(as_twilio), RequestsOpenAPIResponse(response)
        )


def walk_messages(walk: Walk, messages: str, mt: str) -> None:
    seed = {"Author": "walker", "Body": "hello", "Attributes": '{"a": 1}'}
    message = walk.call("POST", mt, messages, data=seed)
    walk.call("GET", mt, messages, params={"PageSize": 1, "Order": "desc"})
    walk.call("GET", mt + "/{Sid}", f"{messages}/{message['sid']}")
    walk.call("POST", mt + "/{Sid}", f"{messages}/{message['sid']}", data={"Body": "edited"})
    walk.call("DELETE", mt + "/{Sid}", f"{messages}/{message['sid']}")
    # The spec's createWithMedia and createWithContentSid shapes (the walk covers the
    # operation once; these are validated all the same).
    conversation = walk.call_quietly("GET", messages.removesuffix("/Messages"))
    media = f"/chinwag/v1/Services/{conversation['chat_service_sid']}/Media"
    upload = walk.call_quietly(
        "POST", media, data=b"\xff\xd8\xff", headers={"Content-Type": "image/jpeg"}
    )
    with_media = walk.call("POST", mt, messages, data={"MediaSid": upload["sid"]})
    assert with_media["body"] is None and with_media["media"][0]["sid"] == upload["sid"]
    walk.call("GET", mt + "/{Sid}", f"{messages}/{with_media['sid']}")
    template = {"ContentSid": "HX" + "a" * 32, "ContentVariables": '{"1": "x"}'}
    assert walk.call("POST", mt, messages, data=template)["content_sid"] == template["ContentSid"]


def walk_roles(walk: Walk, roles: str, rt: str) -> tuple[str, str]:
    """Roles' five operations; a conversation role and a service role to give others."""
    seed = {"FriendlyName": "walker", "Type": "conversation", "Permission": ["sendMessage"]}
    conversation_role = walk.call("POST", rt, roles, data=seed)["sid"]
    service_role = walk.call(
        "POST", rt, roles, data={**seed, "Type": "service", "Permission": "joinConversation"}
    )["sid"]
    doomed = walk.call("POST", rt, roles, data=seed)["sid"]
    walk.call("GET", rt, roles, params={"PageSize": 2})
    walk.call("GET", rt + "/{Sid}", f"{roles}/{conversation_role}")
    walk.call(
        "POST",
        rt + "/{Sid}",
        f"{roles}/{conversation_role}",
        data={"Permission": ["sendMessage", "leaveConversation"]},
    )
    walk.call("DELETE", rt + "/{Sid}", f"{roles}/{doomed}")
    return conversation_role, service_role


# A configuration that was never set reads `method: null` and `filters: null`, as the
# spec's own `fetchEmpty` example shows, though its schema's `method` is not nullable:
# the walk reads configured ones, test_service_webhooks.py the empty ones.
HOOKS = {
    "PreWebhookUrl": "http://127.0.0.1:9/pre",
    "PostWebhookUrl": "http://127.0.0.1:9/walk",
    "Filters": ["onMessageAdded", "onMessageAdd"],
    "Method": "POST",
}
NO_HOOKS = {"PreWebhookUrl": "", "PostWebhookUrl": ""}


def walk_service_configuration(walk: Walk, service: str, role: str) -> None:
    """The service-only Configuration, Configuration/Notifications and Configuration/Webhooks."""
    config = f"/v1/Services/{service}/Configuration"
    template = "/v1/Services/{ChatServiceSid}/Configuration"
    walk.call("POST", template + "/Webhooks", f"{config}/Webhooks", data=HOOKS)
    walk.call("GET", template + "/Webhooks", f"{config}/Webhooks")
    walk.call("POST", template + "/Webhooks", f"{config}/Webhooks", data=NO_HOOKS)
    walk.call("GET", template, config)
    walk.call(
        "POST",
        template,
        config,
        data={"DefaultConversationRoleSid": role, "ReachabilityEnabled": "false"},
    )
    walk.call("GET", template + "/Notifications", f"{config}/Notifications")
    walk.call(
        "POST",
        template + "/Notifications",
        f"{config}/Notifications",
        data={
            "LogEnabled": "true",
            "NewMessage.Enabled": "true",
            "NewMessage.Template": "${PARTICIPANT}: ${MESSAGE}",
            "NewMessage.WithMedia.Enabled": "false",
            "AddedToConversation.Sound": "ring",
        },
    )


def walk_receipts(walk: Walk, conversation: str, ct: str) -> None:
    """Receipts are recorded through chinwag's own API, then read through Twilio's."""
    message = walk.call_quietly("POST", f"{conversation}/Messages", data={"Body": "hi"})
    sms = {
        "MessagingBinding.Address": customer_number(),
        "MessagingBinding.ProxyAddress": "+15017122661",
    }
    participant = walk.call_quietly("POST", f"{conversation}/Participants", data=sms)
    receipts = f"{conversation}/Messages/{message['sid']}/Receipts"
    rt = ct + "/Messages/{MessageSid}/Receipts"
    record = {"ParticipantSid": participant["sid"], "Status": "failed", "ErrorCode": "30003"}
    receipt = walk.call_quietly("POST", "/chinwag" + receipts, data=record)
    walk.call("GET", rt, receipts, params={"PageSize": 1})
    walk.call("GET", rt + "/{Sid}", f"{receipts}/{receipt['sid']}")
    walk.call("GET", ct + "/Messages/{Sid}", f"{conversation}/Messages/{message['sid']}")


def walk_bindings(walk: Walk, service: str) -> None:
    registration = {"Identity": "walker", "BindingType": "fcm", "Address": "token-1"}
    registration |= {"CredentialSid": "CR" + "a" * 32, "MessageTypes": "new_message"}
    binding = walk.call_quietly("POST", f"/chinwag{service}/Bindings", data=registration)
    bt = "/v1/Services/{ChatServiceSid}/Bindings"
    walk.call("GET", bt, f"{service}/Bindings", params={"BindingType": "fcm", "Identity": "walker"})
    walk.call("GET", bt + "/{Sid}", f"{service}/Bindings/{binding['sid']}")
    walk.call("DELETE", bt + "/{Sid}", f"{service}/Bindings/{binding['sid']}")


def walk_participants(walk: Walk, participants: str, pt: str, role: str) -> None:
    sms = {
        "MessagingBinding.Address": customer_number(),
        "MessagingBinding.ProxyAddress": "+15017122661",
        "Attributes": '{"role": "driver"}',
        "RoleSid": role,
    }
    participant = walk.call("POST", pt, participants, data=sms)
    walk.call("POST", pt, participants, data={"Identity": "walker"})
    walk.call("GET", pt, participants, params={"PageSize": 1})
    walk.call("GET", pt + "/{Sid}", f"{participants}/{participant['sid']}")
    walk.call("GET", pt + "/{Sid}", f"{participants}/walker")  # identity in place of the SID
    walk.call(
        "POST",
        pt + "/{Sid}",
        f"{participants}/{participant['sid']}",
        data={"LastReadMessageIndex": "0", "LastReadTimestamp": "2024-01-01T00:00:00Z"},
    )
    walk.call("DELETE", pt + "/{Sid}", f"{participants}/{participant['sid']}")


def walk_conversation_with_participants(walk: Walk, root: str, template_root: str) -> None:
    path, template = (
        f"{root}/ConversationWithParticipants",
        template_root + "/ConversationWithParticipants",
    )
    walk.call("POST", template, path, data={"FriendlyName": "walk", "Timers.Inactive": "PT1M"})
    members = [
        '{"identity": "walker"}',
        json.dumps(
            {"messaging_binding": {"address": customer_number(), "proxy_address": "+15017122661"}}
        ),
    ]
    walk.call("POST", template, path, data={"FriendlyName": "walk", "Participant": members})


def walk_users(walk: Walk, users: str, ut: str, role: str) -> None:
    # not "walker": the participants walked before have already created that user
    seed = {"Identity": "strider", "FriendlyName": "Strider", "Attributes": '{"a": 1}'}
    user = walk.call("POST", ut, users, data={**seed, "RoleSid": role})
    walk.call("GET", ut, users, params={"PageSize": 1})
    walk.call("GET", ut + "/{Sid}", f"{users}/{user['sid']}")
    walk.call("GET", ut + "/{Sid}", f"{users}/strider")  # identity in place of the SID
    walk.call("POST", ut + "/{Sid}", f"{users}/{user['sid']}", data={"FriendlyName": "S"})
    walk.call("DELETE", ut + "/{Sid}", f"{users}/strider")


def walk_user_conversations(walk: Walk, root: str, template_root: str) -> None:
    """After walk_conversation_with_participants: "walker" (its user made by the participant)
    and "+15558675310" are in the conversation it created."""
    mine, mt = (
        f"{root}/Users/walker/Conversations",
        template_root + "/Users/{UserSid}/Conversations",
    )
    listed = walk.call("GET", mt, mine, params={"PageSize": 1})
    item = f"{mine}/{listed['conversations'][0]['conversation_sid']}"
    it = mt + "/{ConversationSid}"
    walk.call("GET", it, item)
    horizon = {"LastReadMessageIndex": "0", "LastReadTimestamp": "2024-01-01T00:00:00Z"}
    walk.call("POST", it, item, data={"NotificationLevel": "muted", **horizon})
    walk.call("DELETE", it, item)
    pt, theirs = template_root + "/ParticipantConversations", f"{root}/ParticipantConversations"
    walk.call("GET", pt, theirs, params={"Address": "+15558675310", "PageSize": 1})


def walk_family(walk: Walk, root: str, template_root: str) -> str:
    """Every operation of both families under `root`; the conversation role it made."""
    conversation_role, service_role = walk_roles(walk, f"{root}/Roles", template_root + "/Roles")
    conversations = f"{root}/Conversations"
    t = template_root + "/Conversations"
    conversation = walk.call(
        "POST", t, conversations, data={"FriendlyName": "walk", "Timers.Closed": "PT1H"}
    )
    walk.call("GET", t, conversations, params={"PageSize": 1})
    sid = conversation["sid"]
    walk.call("GET", t + "/{Sid}", f"{conversations}/{sid}")
    walk.call("POST", t + "/{Sid}", f"{conversations}/{sid}", data={"Attributes": '{"a": 1}'})
    webhooks = f"{conversations}/{sid}/Webhooks"
    wt = t + "/{ConversationSid}/Webhooks"
    seed = {
        "Target": "webhook",
        "Configuration.Url": "https://example.com",
        "Configuration.Method": "get",
        "Configuration.Filters": ["onMessageSent", "onConversationDestroyed"],
        "Configuration.ReplayAfter": "7",
    }
    webhook = walk.call("POST", wt, webhooks, data=seed)
    walk.call("POST", wt, webhooks, data={"Target": "studio", "Configuration.FlowSid": FLOW_SID})
    walk.call(
        "POST",
        wt,
        webhooks,
        data={
            "Target": "trigger",
            "Configuration.Url": "https://x.io",
            "Configuration.Triggers": "help",
        },
    )
    walk.call("GET", wt, webhooks, params={"PageSize": 2})
    walk.call("GET", wt + "/{Sid}", f"{webhooks}/{webhook['sid']}")
    walk.call(
        "POST",
        wt + "/{Sid}",
        f"{webhooks}/{webhook['sid']}",
        data={"Configuration.Filters": "onMessageAdded"},
    )
    walk.call("DELETE", wt + "/{Sid}", f"{webhooks}/{webhook['sid']}")
    walk_messages(walk, f"{conversations}/{sid}/Messages", t + "/{ConversationSid}/Messages")
    walk_receipts(walk, f"{conversations}/{sid}", t + "/{ConversationSid}")
    walk_participants(
        walk,
        f"{conversations}/{sid}/Participants",
        t + "/{ConversationSid}/Participants",
        conversation_role,
    )
    walk.call("DELETE", t + "/{Sid}", f"{conversations}/{sid}")
    walk_conversation_with_participants(walk, root, template_root)
    walk_user_conversations(walk, root, template_root)
    walk_users(walk, f"{root}/Users", template_root + "/Users", service_role)
    return conversation_role


def walk_account(walk: Walk, service_sid: str) -> None:
    """The account-wide resources; the account's configuration is left as it was found."""
    config = "/v1/Configuration"
    before = walk.call("GET", config, config)
    timers = {"DefaultInactiveTimer": "PT1M", "DefaultClosedTimer": "PT10M"}
    walk.call(
        "POST",
        config,
        config,
        data={**timers, "DefaultChatServiceSid": before["default_chat_service_sid"]},
    )
    walk.call("POST", config, config, data={"DefaultInactiveTimer": "", "DefaultClosedTimer": ""})
    hooks = "/v1/Configuration/Webhooks"  # global: for every service without its own
    walk.call("POST", hooks, hooks, data={**HOOKS, "Target": "webhook"})
    walk.call("GET", hooks, hooks)
    walk.call("POST", hooks, hooks, data=NO_HOOKS)  # configures nothing again
    addresses, at = "/v1/Configuration/Addresses", "/v1/Configuration/Addresses"
    seed = {
        "Type": "sms",
        "Address": "+37256123457",
        "FriendlyName": "walk",
        "AutoCreation.Enabled": "true",
        "AutoCreation.Type": "webhook",
        "AutoCreation.ConversationServiceSid": service_sid,
        "AutoCreation.WebhookUrl": "https://example.com",
        "AutoCreation.WebhookMethod": "post",
        "AutoCreation.WebhookFilters": ["onParticipantAdded", "onMessageAdded"],
        "AddressCountry": "CA",
    }
    address = walk.call("POST", at, addresses, data=seed)
    walk.call("GET", at, addresses, params={"Type": "sms", "PageSize": 1})
    walk.call("GET", at + "/{Sid}", f"{addresses}/{address['sid']}")
    walk.call("GET", at + "/{Sid}", f"{addresses}/+37256123457")  # the address in place of the SID
    studio = {
        "AutoCreation.Type": "studio",
        "AutoCreation.StudioFlowSid": FLOW_SID,
        "AutoCreation.StudioRetryCount": "3",
    }
    walk.call("POST", at + "/{Sid}", f"{addresses}/{address['sid']}", data=studio)
    walk.call("DELETE", at + "/{Sid}", f"{addresses}/{address['sid']}")
    credentials, ct = "/v1/Credentials", "/v1/Credentials"
    credential = walk.call(
        "POST", ct, credentials, data={"Type": "apn", "FriendlyName": "walk", "Sandbox": "true"}
    )
    walk.call("GET", ct, credentials, params={"PageSize": 1})
    walk.call("GET", ct + "/{Sid}", f"{credentials}/{credential['sid']}")
    walk.call("POST", ct + "/{Sid}", f"{credentials}/{credential['sid']}", data={"Secret": "s"})
    walk.call("DELETE", ct + "/{Sid}", f"{credentials}/{credential['sid']}")


def test_every_operation_validates_against_the_spec(
    chinwag_server: LiveServer, spec: OpenAPI
) -> None:
    walk = Walk(Api(chinwag_server), spec)
    service = walk.call("POST", "/v1/Services", "/v1/Services", data={"FriendlyName": "walk"})
    walk.call("GET", "/v1/Services", "/v1/Services", params={"PageSize": 1})
    walk.call("GET", "/v1/Services/{Sid}", f"/v1/Services/{service['sid']}")
    walk_family(walk, "/v1", "/v1")
    role = walk_family(walk, f"/v1/Services/{service['sid']}", "/v1/Services/{ChatServiceSid}")
    walk_service_configuration(walk, service["sid"], role)
    walk_account(walk, service["sid"])
    walk_bindings(walk, f"/v1/Services/{service['sid']}")
    walk.call("DELETE", "/v1/Services/{Sid}", f"/v1/Services/{service['sid']}")

    implemented = {(method, path) for method, path, _ in twilio_routes()}
    assert walk.covered == implemented


def walk_events(walk: Walk) -> None:
    """Every Event Streams operation: a sink, its test and validation, a subscription and
    its types, the catalogue of types and schemas; the sink is deleted at the end."""
    sinks, st = "/v1/Sinks", "/v1/Sinks"
    configuration = {"destination": "http://127.0.0.1:9/sink", "method": "POST"}
    seed = {
        "Description": "walk",
        "SinkType": "webhook",
        "SinkConfiguration": json.dumps({**configuration, "batch_events": True}),
    }
    sink = walk.call("POST", st, sinks, data=seed)["sid"]
    walk.call("GET", st, sinks, params={"PageSize": 1, "InUse": "false", "Status": "active"})
    walk.call("GET", st + "/{Sid}", f"{sinks}/{sink}")
    walk.call("POST", st + "/{Sid}", f"{sinks}/{sink}", data={"Description": "walked"})
    walk.call("POST", st + "/{Sid}/Test", f"{sinks}/{sink}/Test")
    walk.call("POST", st + "/{Sid}/Validate", f"{sinks}/{sink}/Validate", data={"TestId": "x"})
    subscriptions, sub_t = "/v1/Subscriptions", "/v1/Subscriptions"
    message_added = "com.twilio.conversations.message.added"
    types = [json.dumps({"type": message_added, "schema_version": 2})]
    subscription = walk.call(
        "POST", sub_t, subscriptions, data={"Description": "walk", "SinkSid": sink, "Types": types}
    )["sid"]
    walk.call("GET", sub_t, subscriptions, params={"SinkSid": sink, "PageSize": 1})
    walk.call("GET", sub_t + "/{Sid}", f"{subscriptions}/{subscription}")
    walk.call(
        "POST", sub_t + "/{Sid}", f"{subscriptions}/{subscription}", data={"Description": "w"}
    )
    events, et = (
        f"{subscriptions}/{subscription}/SubscribedEvents",
        ("/v1/Subscriptions/{SubscriptionSid}/SubscribedEvents"),
    )
    user_added = "com.twilio.conversations.user.added"
    walk.call("POST", et, events, data={"Type": user_added, "SchemaVersion": "1"})
    walk.call("POST", et, events, data={"Type": user_added})  # again: 200, updated
    walk.call("GET", et, events, params={"PageSize": 1})
    walk.call("GET", et + "/{Type}", f"{events}/{user_added}")
    walk.call("POST", et + "/{Type}", f"{events}/{user_added}", data={"SchemaVersion": "2"})
    walk.call("DELETE", et + "/{Type}", f"{events}/{user_added}")
    walk.call("GET", "/v1/Types", "/v1/Types", params={"PageSize": 5})
    walk.call("GET", "/v1/Types", "/v1/Types", params={"SchemaId": "Conversations.MessageAdded"})
    walk.call("GET", "/v1/Types/{Type}", f"/v1/Types/{message_added}")
    schema = "/v1/Schemas/Conversations.MessageAdded"
    walk.call("GET", "/v1/Schemas/{Id}", schema)
    walk.call("GET", "/v1/Schemas/{Id}/Versions", f"{schema}/Versions")
    walk.call("GET", "/v1/Schemas/{Id}/Versions/{SchemaVersion}", f"{schema}/Versions/2")
    walk.call("DELETE", sub_t + "/{Sid}", f"{subscriptions}/{subscription}")
    walk.call("DELETE", st + "/{Sid}", f"{sinks}/{sink}")


def test_every_events_operation_validates_against_the_events_spec(
    chinwag_server: LiveServer, events_spec: OpenAPI
) -> None:
    walk = Walk(Api(chinwag_server), events_spec, host=EVENTS)
    walk_events(walk)
    assert walk.covered == {(method, path) for method, path, _ in EVENTS_ROUTES}


HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def test_every_operation_of_the_events_spec_has_a_route_and_no_other() -> None:
    """All of Twilio's Events v1 operations are answered, and only those (22 of 22)."""
    operations = {
        (method.upper(), path)
        for path, item in _document("twilio_events_v1.json")["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }
    assert operations == {(method, path) for method, path, _ in EVENTS_ROUTES}
    assert len(operations) == 22


def test_every_operation_of_the_spec_has_a_route() -> None:
    """All of Twilio's Conversations v1 operations are answered (issue 11: 103 of 103)."""
    document = json.loads(
        files("chinwag").joinpath("spec/twilio_conversations_v1.json").read_text()
    )
    implemented = {(method, path) for method, path, _ in twilio_routes()}
    operations = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }
    assert sorted(operations - implemented) == []
    assert len(operations) == 103


def test_every_implemented_route_is_in_the_spec(spec: OpenAPI) -> None:
    document = json.loads(
        files("chinwag").joinpath("spec/twilio_conversations_v1.json").read_text()
    )
    for method, path, _ in twilio_routes():
        assert method.lower() in document["paths"][path], (method, path)


ERROR_ENVELOPE = {"code", "message", "more_info", "status"}


def test_error_responses_use_twilios_envelope(live_api: Api) -> None:
    # The spec declares no error bodies; Twilio's documented envelope is the contract.
    for response in (
        live_api.get("/v1/Conversations/CH" + "0" * 32),
        live_api.post("/v1/Services", {}),
        requests.get(live_api.base + "/v1/Services", timeout=5),
    ):
        body = response.json()
        assert set(body) == ERROR_ENVELOPE
        assert isinstance(body["code"], int) and body["status"] == response.status_code
