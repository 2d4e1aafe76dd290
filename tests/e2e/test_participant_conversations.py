"""ParticipantConversations (a participant's conversations by Identity or Address) through
twilio-python and raw HTTP, on both path families."""

import uuid
from typing import Any

from tests.conftest import Api, assert_twilio_error, other_account
from tests.e2e.families import Family, one_family
from tests.inprocess import AppServer

# spec: conversations.v1.participant_conversation (the service schema has the same properties)
KEYS = {"account_sid", "chat_service_sid", "participant_sid", "participant_user_sid"}
KEYS |= {"participant_identity", "participant_messaging_binding", "conversation_sid"}
KEYS |= {"conversation_unique_name", "conversation_friendly_name", "conversation_attributes"}
KEYS |= {"conversation_date_created", "conversation_date_updated", "conversation_created_by"}
KEYS |= {"conversation_state", "conversation_timers", "links"}
PROXY = "+15017122661"


def unique(name: str) -> str:
    """Identities and addresses are looked up per service, and the default service is
    shared by the session's tests."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


def new_number() -> str:
    return "+1555" + str(uuid.uuid4().int)[:7]


def join(api: Api, family: Family, member: dict[str, str], **conversation: str) -> dict[str, Any]:
    """A new conversation with one participant; the participant's JSON."""
    sid = api.post(f"{family.root}/Conversations", conversation).json()["sid"]
    response = api.post(f"{family.root}/Conversations/{sid}/Participants", member)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def listed(api: Api, family: Family, **query: str) -> list[dict[str, Any]]:
    response = api.get(f"{family.root}/ParticipantConversations", params=query)
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()["conversations"]
    return body


def test_by_identity_has_the_documented_shape(api: Api, family: Family) -> None:
    identity, name = unique("shape"), unique("room")
    participant = join(
        api,
        family,
        {"Identity": identity},
        UniqueName=name,
        FriendlyName="Room",
        State="inactive",
        **{"Timers.Closed": "PT1H"},
    )
    conversation = participant["conversation_sid"]
    user = api.get(f"{family.root}/Users/{identity}").json()
    [item] = listed(api, family, Identity=identity)
    assert set(item) == KEYS
    if family.service_sid:
        assert item["chat_service_sid"] == family.service_sid
    assert item["chat_service_sid"] == user["chat_service_sid"]
    assert item["account_sid"] == user["account_sid"]
    assert (item["participant_sid"], item["participant_user_sid"]) == (
        participant["sid"],
        user["sid"],
    )
    assert item["participant_identity"] == identity
    assert item["participant_messaging_binding"] is None
    assert (item["conversation_sid"], item["conversation_unique_name"]) == (conversation, name)
    assert item["conversation_friendly_name"] == "Room"
    assert (item["conversation_attributes"], item["conversation_state"]) == ("{}", "inactive")
    assert set(item["conversation_timers"]) == {"date_closed"}
    fetched = api.get(f"{family.root}/Conversations/{conversation}").json()
    assert item["conversation_date_created"] == fetched["date_created"]
    assert item["conversation_date_updated"] == fetched["date_updated"]
    assert item["conversation_created_by"] is None
    base = f"{api.base}{family.root}/Conversations/{conversation}"
    assert item["links"] == {
        "participant": f"{base}/Participants/{participant['sid']}",
        "conversation": base,
    }


def test_by_address_in_conversation_sid_order_through_twilio_python(
    api: Api, family: Family
) -> None:
    """ "The returned data will be sorted by the conversationSid alphabetically"
    (participant-conversation-resource)."""
    number = new_number()
    # one open conversation per (address, proxy) pair: the customer texts three numbers
    proxies = [f"{PROXY[:-1]}{n}" for n in range(3)]
    joined = [
        join(api, family, {"MessagingBinding.Address": number, "MessagingBinding.ProxyAddress": p})[
            "conversation_sid"
        ]
        for p in proxies
    ]
    join(api, family, {"MessagingBinding.Address": new_number()})  # another number
    items = listed(api, family, Address=number)
    assert [item["conversation_sid"] for item in items] == sorted(joined)
    assert items[0]["participant_messaging_binding"] == {
        "type": "sms",
        "address": number,
        "proxy_address": proxies[joined.index(items[0]["conversation_sid"])],
    }
    assert items[0]["participant_identity"] is None
    assert items[0]["participant_user_sid"] is None  # an SMS participant has no user
    found = family.scope.participant_conversations.list(address=number)
    assert [c.conversation_sid for c in found] == sorted(joined)
    assert found[0].participant_messaging_binding["address"] == number


def test_identity_or_address_but_not_both(api: Api, family: Family) -> None:
    path = f"{family.root}/ParticipantConversations"
    assert_twilio_error(api.get(path), 400, 50451)
    assert_twilio_error(api.get(path, params={"Identity": "", "Address": ""}), 400, 50451)
    both = {"Identity": "a", "Address": "+15558675310"}
    body = assert_twilio_error(api.get(path, params=both), 400, 50451)
    assert "Identity" in body["message"] and "Address" in body["message"]
    assert listed(api, family, Identity=unique("nobody")) == []


def test_pages_stay_correct_while_conversations_are_joined(api: Api, family: Family) -> None:
    identity = unique("pager")
    joined = [join(api, family, {"Identity": identity})["conversation_sid"] for _ in range(5)]
    path = f"{family.root}/ParticipantConversations"
    first = api.get(path, params={"Identity": identity, "PageSize": 2}).json()
    in_order = sorted(joined)
    assert [c["conversation_sid"] for c in first["conversations"]] == in_order[:2]
    meta = first["meta"]
    assert meta["key"] == "conversations" and meta["page_size"] == 2
    assert meta["url"] == f"{api.base}{path}?Identity={identity}&PageSize=2&Page=0"
    # joined meanwhile: on a later page only if its SID sorts after the first page's
    joined.append(join(api, family, {"Identity": identity})["conversation_sid"])
    rest = [sid for sid in sorted(joined) if sid > in_order[1]]
    second = api.get(meta["next_page_url"]).json()
    pages, at = [second], second
    while at["meta"]["next_page_url"] is not None:
        at = api.get(at["meta"]["next_page_url"]).json()
        pages.append(at)
    assert [c["conversation_sid"] for page in pages for c in page["conversations"]] == rest
    assert all(len(page["conversations"]) == 2 for page in pages[:-1])
    back = api.get(second["meta"]["previous_page_url"]).json()
    # the two before the second page's first, the one joined meanwhile too if it sorts there
    second_first = second["conversations"][0]["conversation_sid"]
    before = [sid for sid in sorted(joined) if sid < second_first][-2:]
    assert [c["conversation_sid"] for c in back["conversations"]] == before
    assert (
        api.get(path, params={"Identity": identity, "PageSize": 99}).json()["meta"]["page_size"]
        == 50
    )


def test_only_the_addressed_service_is_searched(api: Api, family: Family) -> None:
    identity = unique("elsewhere")
    join(api, family, {"Identity": identity})
    other = api.post("/v1/Services", {"FriendlyName": "other"}).json()["sid"]
    other_family = Family("other", f"/v1/Services/{other}", None, other)
    join(api, other_family, {"Identity": identity})
    assert len(listed(api, family, Identity=identity)) == 1
    assert len(listed(api, other_family, Identity=identity)) == 1


@one_family
def test_another_accounts_participants_are_invisible(
    app_server: AppServer, api: Api, family: Family
) -> None:
    intruder = other_account(app_server)
    identity = unique("private")
    join(api, family, {"Identity": identity})
    service = api.get(f"/v1/Users/{identity}").json()["chat_service_sid"]
    mine = intruder.get("/v1/ParticipantConversations", params={"Identity": identity})
    assert mine.status_code == 200 and mine.json()["conversations"] == []
    theirs = f"/v1/Services/{service}/ParticipantConversations"
    assert_twilio_error(intruder.get(theirs, params={"Identity": identity}), 404, 20404)
    assert len(listed(api, family, Identity=identity)) == 1
