"""The pure rules of media for the client SDK: temporary content URLs signed and checked
(operations/media_urls.py), the SDK's media descriptor (twilsock/sync_shapes.py), and the
limits a message's media keep (domain/media.py)."""

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from chinwag.domain import media as domain
from chinwag.operations import media_urls
from chinwag.twilio.errors import Forbidden, InvalidParameter, MediaTooLarge
from chinwag.twilsock.sync_shapes import media_descriptor

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TOKEN = "0123456789abcdef0123456789abcdef"
SERVICE, MEDIUM = "IS" + "1" * 32, "ME" + "2" * 32


def query_of(url: str) -> tuple[str, str]:
    query = parse_qs(urlsplit(url).query)
    return query["Expires"][0], query["Signature"][0]


def check(
    expires: str | None,
    signature: str | None,
    now: datetime = NOW,
    change: dict[str, str] | None = None,
) -> None:
    """`check_content_signature` of the URL's two parameters, for TOKEN's SERVICE and
    MEDIUM unless `change` names another `token`, `service` or `medium`."""
    other = change or {}
    media_urls.check_content_signature(
        other.get("token", TOKEN),
        other.get("service", SERVICE),
        other.get("medium", MEDIUM),
        expires,
        signature,
        now,
    )


def test_a_temporary_url_is_the_content_url_signed_for_five_minutes() -> None:
    url = media_urls.temporary_content_url("http://h:1", TOKEN, SERVICE, MEDIUM, NOW)
    assert url.startswith(f"http://h:1/chinwag/v1/Services/{SERVICE}/Media/{MEDIUM}/Content?")
    expires, signature = query_of(url)
    assert int(expires) == int((NOW + timedelta(seconds=300)).timestamp())
    check(expires, signature)  # good until then
    check(expires, signature, NOW + timedelta(seconds=299))
    assert media_urls.temporary_content_url("", TOKEN, SERVICE, MEDIUM, NOW).startswith("/chinwag/")


@pytest.mark.parametrize("later", [300, 301, 10_000])
def test_a_temporary_url_expires(later: int) -> None:
    expires, signature = query_of(media_urls.temporary_content_url("", TOKEN, SERVICE, MEDIUM, NOW))
    with pytest.raises(Forbidden, match="expired at 2026-03-01T12:05:00"):
        check(expires, signature, NOW + timedelta(seconds=later))


@pytest.mark.parametrize(
    "change",
    [
        {"token": "another auth token"},  # rotated, or another account's
        {"service": "IS" + "3" * 32},
        {"medium": "ME" + "4" * 32},
    ],
)
def test_a_signature_holds_for_its_account_service_and_medium_only(change: dict[str, str]) -> None:
    expires, signature = query_of(media_urls.temporary_content_url("", TOKEN, SERVICE, MEDIUM, NOW))
    with pytest.raises(Forbidden, match="not valid"):
        check(expires, signature, change=change)


@pytest.mark.parametrize(
    ("expires", "signature"),
    [
        ("later", "x"),
        (None, None),
        ("-5", "x"),
        ("²", "x"),  # a digit to str.isdigit, not to int()
        ("1772366700", ""),
        ("1772366700", "not-the-signature"),
    ],
)
def test_a_forged_or_malformed_url_is_refused_before_its_expiry_is_read(
    expires: str | None, signature: str | None
) -> None:
    with pytest.raises(Forbidden, match="not valid"):
        check(expires, signature, NOW - timedelta(days=3650))


def test_a_longer_expiry_is_not_covered_by_the_signature() -> None:
    expires, signature = query_of(media_urls.temporary_content_url("", TOKEN, SERVICE, MEDIUM, NOW))
    with pytest.raises(Forbidden, match="not valid"):
        check(str(int(expires) + 3600), signature)


def test_the_signing_key_is_derived_not_the_auth_token_itself() -> None:
    """So no signature made here can pass as one the auth token makes itself (webhooks)."""
    signed = f"{SERVICE}/{MEDIUM}/1".encode()
    direct = hmac.new(TOKEN.encode(), signed, hashlib.sha256).digest()
    assert media_urls.sign_content(TOKEN, SERVICE, MEDIUM, 1) != (
        base64.urlsafe_b64encode(direct).rstrip(b"=").decode()
    )


def test_the_sdk_reads_a_messages_media_in_camel_case() -> None:
    rest = {"sid": MEDIUM, "content_type": "image/png", "filename": None, "size": 9}
    assert media_descriptor({**rest, "category": "media"}) == {
        "sid": MEDIUM,
        "category": "media",
        "filename": None,
        "contentType": "image/png",
        "size": 9,
    }
    assert media_descriptor(rest)["category"] == "media"  # stored before it was kept


def test_a_messages_media_total_at_most_the_announced_size() -> None:
    domain.check_total_size(domain.MAX_MEDIA_TOTAL_BYTES)
    with pytest.raises(MediaTooLarge, match="more than 157286400"):
        domain.check_total_size(domain.MAX_MEDIA_TOTAL_BYTES + 1)
    # whole mebibytes: the SDK is told them in MB
    for limit in (domain.MAX_MEDIA_BYTES, domain.MAX_MEDIA_TOTAL_BYTES):
        assert limit % domain.MEBIBYTE == 0


@pytest.mark.parametrize(
    ("category", "filename", "refused"),
    [
        (None, None, False),
        ("media", "a.png", False),
        ("body", None, True),
        ("history", None, True),
        ("media", "x" * (domain.MAX_FILENAME + 1), True),
    ],
)
def test_the_upload_query_names_media_only(
    category: str | None, filename: str | None, refused: bool
) -> None:
    if refused:
        with pytest.raises(InvalidParameter, match=r"Category|Filename"):
            domain.check_upload_query(category, filename)
    else:
        domain.check_upload_query(category, filename)
