"""TypeIDs: the ids of the Webhooks configuration API (`webhooks_sharedkey_` plus 26
characters), unlike the two-letter SIDs of the rest of Twilio (sids.py).

Twilio calls them "TypeID/TTID format" and shows `webhooks_setting_` and `webhooks_rule_`
"plus 26 characters" (twilio.com/docs/usage/webhooks/webhook-settings, webhook-rules). A
TypeID's suffix is a UUIDv7 in Crockford's base32, lower case (github.com/jetify-com/
typeid, spec v0.3): 26 characters, the first at most `7`, so ids sort by creation time.
"""

import re
import secrets
import time

SHARED_KEY = "webhooks_sharedkey"
SETTING = "webhooks_setting"
RULE = "webhooks_rule"
OPERATION = "webhooks_operation"  # chinwag's choice: Twilio shows no Operation id

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_SUFFIX = re.compile(r"[0-7][0-9a-hjkmnp-tv-z]{25}")


def new_type_id(prefix: str) -> str:
    millis = time.time_ns() // 1_000_000 & (1 << 48) - 1
    # UUIDv7: 48 bits of Unix milliseconds, version 7, 12 random bits, variant 0b10, 62 random.
    value = millis << 80 | 7 << 76 | secrets.randbits(12) << 64 | 2 << 62 | secrets.randbits(62)
    # 130 bits in 26 characters of 5 bits: the first carries the top 3 bits.
    suffix = "".join(_ALPHABET[value >> shift & 31] for shift in range(125, -1, -5))
    return f"{prefix}_{suffix}"


def is_type_id(value: str, prefix: str) -> bool:
    head, _, suffix = value.rpartition("_")
    return head == prefix and _SUFFIX.fullmatch(suffix) is not None
