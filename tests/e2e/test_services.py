"""Conversation Services: create, list, fetch, delete."""

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from tests.conftest import Api, assert_twilio_error


def test_create_list_fetch_delete(client: Client, api: Api) -> None:
    services = client.conversations.v1.services
    created = services.create(friendly_name="Support")
    assert created.sid.startswith("IS") and len(created.sid) == 34
    assert created.url == f"{api.base}/v1/Services/{created.sid}"
    assert created.links["conversations"] == f"{created.url}/Conversations"
    assert services(created.sid).fetch().friendly_name == "Support"
    assert created.sid in [s.sid for s in services.list()]
    assert services(created.sid).delete() is True
    with pytest.raises(TwilioRestException) as missing:
        services(created.sid).fetch()
    assert (missing.value.status, missing.value.code) == (404, 20404)


def test_deleting_a_service_deletes_its_conversations_and_webhooks(api: Api) -> None:
    service = api.post("/v1/Services", {"FriendlyName": "doomed"}).json()["sid"]
    conversation = api.post(f"/v1/Services/{service}/Conversations", {}).json()["sid"]
    webhooks = f"/v1/Services/{service}/Conversations/{conversation}/Webhooks"
    api.post(webhooks, {"Target": "studio", "Configuration.FlowSid": "FW" + "1" * 32})
    assert api.delete(f"/v1/Services/{service}").status_code == 204
    assert_twilio_error(api.get(webhooks), 404, 20404)
    assert_twilio_error(api.get(f"/v1/Services/{service}/Conversations/{conversation}"), 404, 20404)


def test_friendly_name_is_required_and_bounded(api: Api) -> None:
    assert_twilio_error(api.post("/v1/Services", {}), 400, 20001)
    assert_twilio_error(api.post("/v1/Services", {"FriendlyName": "x" * 257}), 400, 20001)


def test_unknown_or_malformed_service_sids_are_not_found(api: Api) -> None:
    for sid in ("IS" + "0" * 32, "nonsense"):
        body = assert_twilio_error(api.get(f"/v1/Services/{sid}"), 404, 20404)
        assert body["message"] == f"The requested resource /Services/{sid} was not found"
        assert_twilio_error(api.get(f"/v1/Services/{sid}/Conversations"), 404, 20404)


def test_services_page(api: Api) -> None:
    for index in range(3):
        api.post("/v1/Services", {"FriendlyName": f"page {index}"})
    first = api.get("/v1/Services", params={"PageSize": 2}).json()
    assert first["meta"]["key"] == "services" and len(first["services"]) == 2
    second = api.get(first["meta"]["next_page_url"]).json()
    assert not {s["sid"] for s in first["services"]} & {s["sid"] for s in second["services"]}
