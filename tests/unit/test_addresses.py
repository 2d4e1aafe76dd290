"""The address rules as pure functions: which channel, and what each channel accepts."""

import pytest

from chinwag.domain.addresses import (
    binding_type,
    check_address,
    check_proxy_address,
    check_same_channel,
)
from chinwag.twilio.errors import (
    AddressTypeMismatch,
    InvalidMessagingBindingAddress,
    InvalidProxyAddress,
)


@pytest.mark.parametrize(
    ("address", "channel"),
    [
        ("+15558675310", "sms"),
        ("whatsapp:+15558675310", "whatsapp"),
        ("WHATSAPP:+15558675310", "whatsapp"),
        ("rcs:+15558675310", "rcs"),
        ("messenger:1234", "messenger"),
        ("sms:+15558675310", "sms"),  # no such prefix: an SMS address, and not E.164
        ("hello", "sms"),
    ],
)
def test_the_channel_is_the_prefix(address: str, channel: str) -> None:
    assert binding_type(address) == channel


@pytest.mark.parametrize(
    "address",
    ["+12", "+15558675310", "+123456789012345", "whatsapp:+15558675310", "rcs:+447911123456"],
)
def test_e164_addresses_pass(address: str) -> None:
    check_address(address)
    check_proxy_address(address)


@pytest.mark.parametrize(
    "address",
    [
        "",
        "+",
        "+1",
        "+1234567890123456",
        "+01234567",
        "15558675310",
        "+1-555-867-5310",
        "+1" + "\uff15" * 10,  # fullwidth digits
        "sms:+15558675310",
        "whatsapp:",
        "whatsapp:+",
        "rcs:agent",
        "messenger:",
        "messenger:a b",
    ],
)
def test_other_addresses_are_refused_with_50407(address: str) -> None:
    with pytest.raises(InvalidMessagingBindingAddress) as refused:
        check_address(address)
    assert refused.value.code == 50407
    assert refused.value.message.startswith("Invalid messaging binding address: ")


def test_an_rcs_sender_may_be_an_agent_id_but_not_empty() -> None:
    check_proxy_address("rcs:brand_agent")
    with pytest.raises(InvalidProxyAddress):
        check_proxy_address("rcs:")


@pytest.mark.parametrize(
    ("address", "proxy"),
    [
        ("whatsapp:+15558675310", "+15017122661"),
        ("+15558675310", "whatsapp:+15017122661"),
        ("rcs:+15558675310", "+15017122661"),
        ("messenger:1", "rcs:+15017122661"),
    ],
)
def test_two_channels_do_not_mix(address: str, proxy: str) -> None:
    with pytest.raises(AddressTypeMismatch) as refused:
        check_same_channel(address, proxy)
    assert refused.value.code == 50414
    check_same_channel(address, address)
