"""What a messaging participant's addresses must look like (issue 12 item 2).

SMS addresses are E.164 numbers, WhatsApp ones `whatsapp:` + E.164, and a participant's
address and proxy address belong to one channel: 50407, 50408 and 50414, on Participants
create and update and through ConversationWithParticipants. Nothing is written when
an address is refused.
"""

import json
from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from tests.conftest import Api, assert_twilio_error, customer_number
from tests.e2e.families import Family, one_family

PROXY = "+15017122661"
WHATSAPP_PROXY = "whatsapp:+15017122661"
TITLES = {
    50407: "Invalid messaging binding address",
    50408: "Invalid participant proxy address",
    50414: "Participant address type does not match proxy address type",
}


def binding(address: str, proxy: str | None = PROXY) -> dict[str, str]:
    body = {"MessagingBinding.Address": address}
    if proxy is not None:
        body["MessagingBinding.ProxyAddress"] = proxy
    return body


def participants_path(family: Family) -> str:
    sid = family.scope.conversations.create(friendly_name="addresses").sid
    return f"{family.root}/Conversations/{sid}/Participants"


def participant_count(api: Api, path: str) -> int:
    return len(api.get(path, params={"PageSize": 100}).json()["participants"])


@one_family
@pytest.mark.parametrize(
    ("body", "code"),
    [
        (binding("not-a-number"), 50407),
        (binding("hello"), 50407),
        (binding("15558675310"), 50407),  # no +
        (binding("+0155586753"), 50407),  # no country code starts with 0
        (binding("+1"), 50407),  # a country code alone
        (binding("+1234567890123456"), 50407),  # 16 digits: E.164 has at most 15
        (binding("+1 555 867 5310"), 50407),
        (binding("+1555867531\u0661"), 50407),  # an Arabic-Indic digit is not 0-9
        (binding("+1" + "5" * 256), 50407),  # longer than 256 characters
        (binding("whatsapp:15558675310", WHATSAPP_PROXY), 50407),
        (binding("whatsapp:", WHATSAPP_PROXY), 50407),
        (binding("rcs:hello", "rcs:+15017122661"), 50407),
        (binding("messenger:", "messenger:1234"), 50407),
        (binding("+15558675310", "hello"), 50408),
        (binding("whatsapp:+15558675310", "whatsapp:hello"), 50408),
        (binding("+15558675310", "+" + "1" * 300), 50408),
        (binding("whatsapp:+15558675310", PROXY), 50414),
        (binding("+15558675310", WHATSAPP_PROXY), 50414),
        (binding("rcs:+15558675310", PROXY), 50414),
        (binding("messenger:1234", WHATSAPP_PROXY), 50414),
    ],
)
def test_a_malformed_address_is_refused(
    api: Api, family: Family, body: dict[str, str], code: int
) -> None:
    path = participants_path(family)
    refused = assert_twilio_error(api.post(path, body), 400, code)
    assert refused["message"].startswith(TITLES[code] + ": ")  # Twilio's title first
    assert participant_count(api, path) == 0


@one_family
@pytest.mark.parametrize(
    ("prefix", "proxy", "channel"),
    [
        ("", PROXY, "sms"),
        ("", "+442071838750", "sms"),
        ("", "+1501", "sms"),  # E.164 sets no minimum beyond a country code and a digit
        ("whatsapp:", WHATSAPP_PROXY, "whatsapp"),
        ("WhatsApp:", WHATSAPP_PROXY, "whatsapp"),  # the prefix in any case
        ("rcs:", "rcs:+15017122661", "rcs"),  # the spec's createRcs example
        ("rcs:", "rcs:brand_agent", "rcs"),  # an RCS sender may be an agent id
        ("messenger:", "messenger:104934628530461", "messenger"),  # ids are opaque
        ("", None, "sms"),  # no proxy address: nothing to match
    ],
)
def test_well_formed_addresses_of_each_channel_are_accepted(
    api: Api, family: Family, prefix: str, proxy: str | None, channel: str
) -> None:
    path = participants_path(family)
    address = prefix + customer_number()  # pairs are held per account: a fresh one
    created = api.post(path, binding(address, proxy))
    assert created.status_code == 201, created.text
    assert created.json()["messaging_binding"] == {
        "type": channel,
        "address": address,
        **({"proxy_address": proxy} if proxy else {}),
    }


def test_twilio_python_raises_twilios_code_and_title(client: Client) -> None:
    conversation = client.conversations.v1.conversations.create(friendly_name="addresses")
    cases = [
        ({"messaging_binding_address": "not-a-number"}, 50407),
        (
            {
                "messaging_binding_address": customer_number(),
                "messaging_binding_proxy_address": "x",
            },
            50408,
        ),
        (
            {
                "messaging_binding_address": "whatsapp:" + customer_number(),
                "messaging_binding_proxy_address": PROXY,
            },
            50414,
        ),
    ]
    for arguments, code in cases:
        with pytest.raises(TwilioRestException) as refused:
            conversation.participants.create(**arguments)
        assert (refused.value.status, refused.value.code) == (400, code)
        # twilio-python puts "Unable to create record: " before the message
        assert refused.value.msg.startswith(f"Unable to create record: {TITLES[code]}: ")
    assert conversation.participants.list() == []


@one_family
def test_an_update_to_a_malformed_or_other_channel_proxy_is_refused(
    api: Api, family: Family
) -> None:
    path = participants_path(family)
    created = api.post(path, binding(customer_number())).json()
    url = f"{path}/{created['sid']}"
    assert_twilio_error(api.post(url, {"MessagingBinding.ProxyAddress": "hello"}), 400, 50408)
    mismatch = {"MessagingBinding.ProxyAddress": WHATSAPP_PROXY}
    assert_twilio_error(api.post(url, mismatch), 400, 50414)
    assert api.get(url).json() == created  # nothing written
    moved = api.post(url, {"MessagingBinding.ProxyAddress": "+15017120001"})
    assert moved.json()["messaging_binding"]["proxy_address"] == "+15017120001"


def participant(**values: Any) -> str:
    return json.dumps(values)


@pytest.mark.parametrize(
    ("members", "code"),
    [
        ([participant(messaging_binding={"address": "hello", "proxy_address": PROXY})], 50407),
        (
            [
                participant(identity="first"),
                participant(messaging_binding={"address": "+15558675310", "proxy_address": "x"}),
            ],
            50408,
        ),
        (
            [
                participant(
                    messaging_binding={"address": "whatsapp:+15558675310", "proxy_address": PROXY}
                )
            ],
            50414,
        ),
    ],
)
def test_conversation_with_participants_refuses_them_with_the_same_codes(
    api: Api, members: list[str], code: int
) -> None:
    unique_name = f"addresses-{code}"
    body = {"UniqueName": unique_name, "Participant": members}
    refused = assert_twilio_error(api.post("/v1/ConversationWithParticipants", body), 400, code)
    position = len(members)
    assert refused["message"].startswith(f"{TITLES[code]}: Participant {position}: ")
    assert api.get(f"/v1/Conversations/{unique_name}").status_code == 404  # all or nothing
