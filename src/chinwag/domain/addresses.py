"""Messaging addresses: which channel an address belongs to and what it must look like.

An SMS participant's `MessagingBinding.Address` and `.ProxyAddress` are E.164 phone
numbers, a WhatsApp one's `whatsapp:` + E.164, and both belong to one channel
(errors/50407, 50408, 50414). docs/compatibility.md lists each rule with its source.
"""

import re

from chinwag.twilio.errors import (
    AddressTypeMismatch,
    InvalidMessagingBindingAddress,
    InvalidParameter,
    InvalidProxyAddress,
    TwilioError,
)
from chinwag.twilio.forms import shown

# "Be limited to a total of 15 digits in length; Start with a +; Exclude 0 as the first
# character" (twilio.com/docs/glossary/what-e164). ASCII digits only: `\d` is Unicode.
E164 = re.compile(r"\+[1-9][0-9]{1,14}")
# "Check that the length of MessagingBinding.Address parameter does not exceed 256
# characters" (errors/50407; the same for ProxyAddress, errors/50408).
MAX_ADDRESS = 256
# Channels named by an address prefix, as in the spec's examples (`whatsapp:+1…`,
# `rcs:+1…`) and Twilio's Messenger addresses (`messenger:<id>`); anything else is SMS.
PREFIXED = ("whatsapp", "rcs", "messenger")
# What follows the prefix: WhatsApp and an RCS participant are phone numbers; an RCS
# sender may be an agent id and a Messenger id is opaque, so only its presence is checked.
_PHONE = "an E.164 phone number"
_ANY = re.compile(r"[^\s]+")
# An Address Configuration's SMS address may also be a short code: "AddressCountry ...
# is currently only applicable to short code addresses" (address-configuration-resource).
# Short codes are 3 to 8 digits, by country (twilio.com/docs/glossary/what-is-a-short-code).
SHORT_CODE = re.compile(r"[0-9]{3,8}")


def binding_type(address: str) -> str:
    """The channel an address belongs to, from its prefix (`sms` without one)."""
    prefix, colon, _ = address.partition(":")
    if colon and prefix.lower() in PREFIXED:
        return prefix.lower()
    return "sms"


def check_address(address: str) -> None:
    """A participant's own address (errors/50407)."""
    _check("MessagingBinding.Address", address, InvalidMessagingBindingAddress, proxy=False)


def check_proxy_address(proxy_address: str) -> None:
    """The Twilio-side address the participant talks to (errors/50408)."""
    _check("MessagingBinding.ProxyAddress", proxy_address, InvalidProxyAddress, proxy=True)


def check_same_channel(address: str, proxy_address: str) -> None:
    """Both of one channel: errors/50414, "Ensure that both MessagingBinding.Address and
    MessagingBinding.ProxyAddress are both of the same type, e.g. both SMS or both WhatsApp"."""
    channel, proxy_channel = binding_type(address), binding_type(proxy_address)
    if channel != proxy_channel:
        raise AddressTypeMismatch(
            f"MessagingBinding.Address '{shown(address)}' is {channel} but "
            f"MessagingBinding.ProxyAddress '{shown(proxy_address)}' is {proxy_channel}."
        )


def check_configured_address(address_type: str, address: str) -> None:
    """An Address Configuration's `Address` of type sms or whatsapp: "a single address
    (i.e. a WhatsApp or SMS phone number) that belongs to your Twilio Account"
    (address-configuration-resource). SMS: E.164 or a short code; WhatsApp: E.164, with or
    without `whatsapp:` (the Type names the channel; an inbound message's `To` has it).
    Other types (messenger, gbm, email, ...) are opaque ids, as before. Twilio documents
    no code: 20001 (docs/compatibility.md)."""
    if address_type not in ("sms", "whatsapp"):
        return
    number = address.removeprefix("whatsapp:") if address_type == "whatsapp" else address
    if len(address) > MAX_ADDRESS:
        raise InvalidParameter(f"Address is longer than {MAX_ADDRESS} characters.")
    if E164.fullmatch(number) or (address_type == "sms" and SHORT_CODE.fullmatch(number)):
        return
    expected = (
        f"{_PHONE} or a short code"
        if address_type == "sms"
        else f"{_PHONE}, with or without 'whatsapp:'"
    )
    raise InvalidParameter(f"Address '{shown(address)}' of Type {address_type} is not {expected}.")


def _check(name: str, value: str, error: type[TwilioError], *, proxy: bool) -> None:
    if len(value) > MAX_ADDRESS:
        raise error(f"{name} is longer than {MAX_ADDRESS} characters.")
    channel = binding_type(value)
    rest = value.partition(":")[2] if channel != "sms" else value
    if channel in ("sms", "whatsapp") or (channel == "rcs" and not proxy):
        if not E164.fullmatch(rest):
            expected = _PHONE if channel == "sms" else f"'{channel}:' followed by {_PHONE}"
            raise error(f"{name} '{shown(value)}' is not {expected}.")
    elif not _ANY.fullmatch(rest):
        raise error(f"{name} '{shown(value)}' has nothing after '{channel}:'.")
