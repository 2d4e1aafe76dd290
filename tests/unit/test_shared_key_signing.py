"""A request signed with a shared key: HMAC-SHA256 (or HMAC-SHA1) of the same string as
the auth token's signature, keyed with the secret, and the settings header beside it;
twilio-python 9.13's RequestValidator, given the header's algorithm, accepts it."""

import hashlib
import hmac
from base64 import b64encode

import pytest
from twilio.request_validator import RequestValidator, get_signature_algorithm

from chinwag.delivery.sender import OutboundRequest
from chinwag.delivery.signing import HMAC_SHA1, HMAC_SHA256, SharedKeySigning, sign_request
from chinwag.twilio.type_ids import SHARED_KEY, is_type_id, new_type_id

URL = "http://127.0.0.1:9/hook?team=a"
PARAMS = [("EventType", "onMessageAdded"), ("Body", "h\u00e9llo & more"), ("RetryCount", "0")]
KEY = SharedKeySigning("webhooks_sharedkey_01jf8zq1b0f8k7r6y5d4c3b2a1", "s3cret", HMAC_SHA256)


def test_the_signed_string_is_the_url_and_the_sorted_parameters() -> None:
    signed = URL + "Bodyh\u00e9llo & more" + "EventTypeonMessageAdded" + "RetryCount0"
    expected = hmac.new(b"s3cret", signed.encode("utf-8"), hashlib.sha256).digest()
    assert sign_request("s3cret", URL, PARAMS, HMAC_SHA256) == b64encode(expected).decode()


@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize("algorithm", [HMAC_SHA256, HMAC_SHA1])
def test_a_shared_key_request_is_what_twilio_python_validates(method: str, algorithm: str) -> None:
    key = SharedKeySigning(KEY.key_id, KEY.secret, algorithm)
    request = OutboundRequest(URL, method, PARAMS, "auth-token", "token", shared_key=key)
    url, headers, _ = request.prepared()
    settings = headers["X-Twilio-Webhooks-Signature-Settings"]
    assert settings == f"key={KEY.key_id},algorithm={algorithm}"
    form = dict(PARAMS) if method == "POST" else {}
    signature = headers["X-Twilio-Signature"]
    assert RequestValidator(KEY.secret).validate(
        url, form, signature, get_signature_algorithm(settings)
    )
    assert not RequestValidator("auth-token").validate(url, form, signature)


def test_a_json_body_is_signed_with_the_key_through_its_body_hash() -> None:
    request = OutboundRequest(
        URL, "POST", [], "auth-token", "token", body='[{"a":1}]', shared_key=KEY
    )
    url, headers, body = request.prepared()
    assert body is not None and "bodySHA256=" in url
    assert RequestValidator(KEY.secret).validate(
        url, body.decode(), headers["X-Twilio-Signature"], HMAC_SHA256
    )


def test_without_a_key_the_auth_token_signs_and_no_settings_header_is_sent() -> None:
    url, headers, _ = OutboundRequest(URL, "POST", PARAMS, "auth-token", "token").prepared()
    assert "X-Twilio-Webhooks-Signature-Settings" not in headers
    assert RequestValidator("auth-token").validate(url, dict(PARAMS), headers["X-Twilio-Signature"])


def test_type_ids_are_the_prefix_and_26_characters_sorting_by_time() -> None:
    made = [new_type_id(SHARED_KEY) for _ in range(50)]
    assert all(is_type_id(made_id, SHARED_KEY) and len(made_id) == 45 for made_id in made)
    assert len(set(made)) == 50
    assert made[0][:29] <= made[-1][:29]  # the first 48 bits are milliseconds
    assert not is_type_id("webhooks_setting_" + made[0][-26:], SHARED_KEY)
    assert not is_type_id(made[0].upper(), SHARED_KEY)
