"""Conversations on both path families: CRUD, UniqueName, filters, validation."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from twilio.base.exceptions import TwilioRestException

from tests.conftest import Api, assert_twilio_error
from tests.e2e.families import Family, one_family

SID = re.compile(r"^CH[0-9a-f]{32}$")


def test_create_fetch_update_delete(api: Api, family: Family) -> None:
    conversations = family.scope.conversations
    created = conversations.create(
        friendly_name="Home Repair Visit",
        unique_name=f"visit-{family.name}",
        attributes='{"topic": "feedback"}',
        messaging_service_sid="MG" + "a" * 32,
        bindings_email_address="help@example.com",
        bindings_email_name="Help",
    )
    assert SID.match(created.sid)
    assert created.friendly_name == "Home Repair Visit"
    assert created.attributes == '{"topic": "feedback"}'
    assert created.state == "active"
    assert created.timers == {}
    assert created.bindings == {"email": {"projected_address": "help@example.com", "name": "Help"}}
    assert created.chat_service_sid is not None and created.chat_service_sid.startswith("IS")
    if family.service_sid:
        assert created.chat_service_sid == family.service_sid
    assert created.url == f"{api.base}{family.root}/Conversations/{created.sid}"
    assert created.links["webhooks"] == f"{created.url}/Webhooks"

    by_name = conversations(f"visit-{family.name}").fetch()
    assert by_name.sid == created.sid
    updated = conversations(created.sid).update(friendly_name="Renamed", state="inactive")
    assert (updated.friendly_name, updated.state) == ("Renamed", "inactive")
    assert updated.attributes == created.attributes
    assert conversations(f"visit-{family.name}").delete() is True
    with pytest.raises(TwilioRestException) as missing:
        conversations(created.sid).fetch()
    assert (missing.value.status, missing.value.code) == (404, 20404)


@one_family
def test_defaults_of_a_bare_create(family: Family) -> None:
    created = family.scope.conversations.create()
    assert created.attributes == "{}"
    assert created.unique_name is None and created.friendly_name is None
    assert created.state == "active" and created.timers == {} and created.bindings == {}
    assert created.date_created == created.date_updated


@one_family
def test_timers_are_scheduled_from_iso8601_durations(family: Family) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    created = family.scope.conversations.create(timers_inactive="PT5M", timers_closed="P1D")
    date_inactive = datetime.strptime(
        created.timers["date_inactive"], "%Y-%m-%dT%H:%M:%SZ"
    ).replace(tzinfo=UTC)
    date_closed = datetime.strptime(created.timers["date_closed"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=UTC
    )
    assert (
        before + timedelta(minutes=5) <= date_inactive <= before + timedelta(minutes=5, seconds=5)
    )
    assert before + timedelta(days=1) <= date_closed <= before + timedelta(days=1, seconds=5)


@one_family
def test_unique_name_is_unique_per_service(api: Api, family: Family) -> None:
    family.scope.conversations.create(unique_name=f"dup-{family.name}")
    response = api.post(f"{family.root}/Conversations", {"UniqueName": f"dup-{family.name}"})
    assert_twilio_error(response, 409, 50353)
    other = family.scope.conversations.create()
    renamed = api.post(
        f"{family.root}/Conversations/{other.sid}", {"UniqueName": f"dup-{family.name}"}
    )
    assert_twilio_error(renamed, 409, 50353)


def test_the_same_unique_name_may_live_in_two_services(client: object, api: Api) -> None:
    first = api.post("/v1/Services", {"FriendlyName": "a"}).json()["sid"]
    second = api.post("/v1/Services", {"FriendlyName": "b"}).json()["sid"]
    for service in (first, second):
        assert (
            api.post(f"/v1/Services/{service}/Conversations", {"UniqueName": "shared"}).status_code
            == 201
        )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"Attributes": "{not json"}, 50304),
        ({"State": "archived"}, 50378),
        ({"State": "closed"}, 50384),
        ({"Timers.Inactive": "five minutes"}, 50379),
        ({"Timers.Inactive": "PT30S"}, 50375),
        ({"Timers.Closed": "PT5M"}, 50376),
        ({"Timers.Closed": "soon"}, 50380),
        ({"MessagingServiceSid": "MG123"}, 50341),
        ({"FriendlyName": "x" * 257}, 20001),
        ({"UniqueName": "CH" + "a" * 32}, 50390),
        ({"DateCreated": "yesterday"}, 20001),
    ],
)
@one_family
def test_invalid_create_is_rejected_and_nothing_is_written(
    api: Api, family: Family, body: dict[str, str], code: int
) -> None:
    before = api.get(f"{family.root}/Conversations", params={"PageSize": 100}).json()[
        "conversations"
    ]
    assert_twilio_error(api.post(f"{family.root}/Conversations", body), 400, code)
    after = api.get(f"{family.root}/Conversations", params={"PageSize": 100}).json()[
        "conversations"
    ]
    assert after == before


@one_family
def test_a_closed_conversation_cannot_be_changed(api: Api, family: Family) -> None:
    created = family.scope.conversations.create()
    assert family.scope.conversations(created.sid).update(state="closed").state == "closed"
    response = api.post(f"{family.root}/Conversations/{created.sid}", {"State": "active"})
    assert_twilio_error(response, 400, 50377)


@one_family
def test_an_unknown_state_is_50378_on_create_and_update(api: Api, family: Family) -> None:
    """errors/50378 "'State' parameter value is invalid": only active, inactive, closed."""
    created = family.scope.conversations.create()
    for path in (f"{family.root}/Conversations", f"{family.root}/Conversations/{created.sid}"):
        body = assert_twilio_error(api.post(path, {"State": "bogus"}), 400, 50378)
        assert body["message"].startswith("'State' parameter value is invalid: State 'bogus'")
    assert family.scope.conversations(created.sid).fetch().state == "active"


@one_family
def test_list_filters_by_state_and_creation_date(api: Api, family: Family) -> None:
    root = f"{family.root}/Conversations"
    old = api.post(root, {"DateCreated": "2020-01-01T10:00:00Z", "State": "inactive"}).json()
    new = api.post(root, {"DateCreated": "2020-01-03T10:00:00Z"}).json()
    inactive = api.get(root, params={"State": "inactive", "PageSize": 100}).json()["conversations"]
    assert old["sid"] in [c["sid"] for c in inactive]
    assert new["sid"] not in [c["sid"] for c in inactive]
    window = api.get(
        root, params={"StartDate": "2020-01-01T00:00:00Z", "EndDate": "2020-01-05T23:59:59Z"}
    )
    # "If this filter is used, the returned list is sorted by latest conversation creation date
    # in descending order." (spec)
    assert [c["sid"] for c in window.json()["conversations"]] == [new["sid"], old["sid"]]
    assert "StartDate=2020-01-01T00%3A00%3A00Z" in window.json()["meta"]["url"]
    assert_twilio_error(api.get(root, params={"State": "asleep"}), 400, 50378)
    assert_twilio_error(api.get(root, params={"StartDate": "not a date"}), 400, 20001)


def test_pagination_walks_every_conversation_once_in_both_directions(
    api: Api, client: object
) -> None:
    service = api.post("/v1/Services", {"FriendlyName": "paging"}).json()["sid"]
    root = f"/v1/Services/{service}/Conversations"
    created = [api.post(root, {"FriendlyName": f"c{i}"}).json()["sid"] for i in range(7)]
    seen, url, pages = [], f"{root}?PageSize=3", []
    while url:
        page = api.get(url).json()
        pages.append(page)
        seen += [c["sid"] for c in page["conversations"]]
        url = page["meta"]["next_page_url"]
        assert url is None or url.startswith(api.base)
    assert seen == created
    assert [p["meta"]["page"] for p in pages] == [0, 1, 2]
    back = api.get(pages[2]["meta"]["previous_page_url"]).json()
    assert [c["sid"] for c in back["conversations"]] == created[3:6]
    assert back["meta"]["page"] == 1
    first = api.get(back["meta"]["previous_page_url"]).json()
    assert [c["sid"] for c in first["conversations"]] == created[:3]
    assert first["meta"]["previous_page_url"] is None
    by_page = api.get(root, params={"PageSize": 3, "Page": 2}).json()
    assert [c["sid"] for c in by_page["conversations"]] == created[6:]


@one_family
def test_twilio_python_list_with_a_large_limit_is_capped_not_refused(family: Family) -> None:
    for _ in range(3):
        family.scope.conversations.create()
    assert len(family.scope.conversations.list(limit=500)) >= 3


@one_family
def test_an_empty_unique_name_on_update_clears_it(api: Api, family: Family) -> None:
    created = family.scope.conversations.create(unique_name=f"clear-me-{family.name}")
    cleared = api.post(f"{family.root}/Conversations/{created.sid}", {"UniqueName": ""}).json()
    assert cleared["unique_name"] is None
    assert (
        family.scope.conversations.create(unique_name=f"clear-me-{family.name}").sid != created.sid
    )
