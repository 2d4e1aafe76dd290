"""Who may reach chinwag's media store beside HTTP Basic: the client SDK's media client with
its Access Token (`X-Twilio-Token`), anyone holding a temporary content URL until it
expires, and the dashboard's signed-in user; the MediaSet batch; CORS for a front-end on
another origin; the total size a message takes."""

from datetime import timedelta
from typing import Any

import pytest
import requests

from chinwag.domain import media as media_rules
from chinwag.domain.access_tokens import mint_access_token
from chinwag.domain.accounts import rotate_auth_token
from chinwag.operations.media_urls import sign_content
from chinwag.store.accounts import newest_signing_key
from chinwag.twilio.dates import utc_now
from tests.conftest import assert_twilio_error, loopback_session
from tests.dashboard import Dashboard
from tests.databases import on_database
from tests.e2e.tenants import Tenant, new_tenant
from tests.inprocess import AppServer

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
PDF = b"%PDF-1.4 tiny"
TOKEN = "X-Twilio-Token"


def token_for(tenant: Tenant, identity: str, service: str) -> str:
    """What the app's backend hands its front-end (`POST /chinwag/v1/Tokens`)."""
    answer = tenant.api.post(
        "/chinwag/v1/Tokens", {"Identity": identity, "ChatServiceSid": service}
    )
    assert answer.status_code == 201, answer.text
    token: str = answer.json()["token"]
    return token


def media_path(service: str) -> str:
    return f"/chinwag/v1/Services/{service}/Media"


class SdkUser:
    """HTTP as the SDK's media client makes it: no Basic auth, the token in a header."""

    def __init__(self, server: AppServer, token: str) -> None:
        self.base = server.url
        self.session = loopback_session()
        self.session.headers[TOKEN] = token

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.base + path, timeout=10)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.post(self.base + path, timeout=10, **kwargs)

    def upload(self, service: str, content: bytes = PNG, name: str = "dot.png") -> Any:
        """`POST {media_service}?Category=media&Filename=<name>` with the raw bytes."""
        answer = self.post(
            f"{media_path(service)}?Category=media&Filename={name}",
            data=content,
            headers={"Content-Type": "image/png"},
        )
        assert answer.status_code == 201, answer.text
        return answer.json()


def anonymous(url: str) -> requests.Response:
    """A GET with no credentials at all, as a browser loads an image."""
    return loopback_session().get(url, timeout=10)


@pytest.fixture
def desk(tenant: Tenant) -> str:
    """A service of the tenant's, with alice and bob in a conversation."""
    service: str = tenant.client.conversations.v1.services.create(friendly_name="desk").sid
    chat = tenant.client.conversations.v1.services(service).conversations.create()
    for identity in ("alice", "bob"):
        chat.participants.create(identity=identity)
    return service


def test_an_access_token_uploads_and_reads_the_media_of_its_service(
    tenant: Tenant, desk: str, app_server: AppServer
) -> None:
    alice = SdkUser(app_server, token_for(tenant, "alice", desk))
    medium = alice.upload(desk, name="hi.png")
    assert (medium["author"], medium["filename"], medium["size"]) == ("alice", "hi.png", len(PNG))
    assert (medium["category"], medium["is_multipart_upstream"]) == ("media", False)
    fetched = alice.get(f"{media_path(desk)}/{medium['sid']}")
    assert fetched.status_code == 200 and fetched.json()["sid"] == medium["sid"]
    assert alice.get(f"{media_path(desk)}/{medium['sid']}/Content").content == PNG
    # Basic auth still reads it; the uploader is not stored, so later records name none.
    assert tenant.api.get(f"{media_path(desk)}/{medium['sid']}").json()["author"] is None
    refused = alice.post(f"{media_path(desk)}?Category=body", data=b"x")
    assert "Category 'body'" in assert_twilio_error(refused, 400, 20001)["message"]


def test_a_token_of_another_service_or_account_or_a_bad_one_is_refused(
    tenant: Tenant, desk: str, app_server: AppServer
) -> None:
    medium = SdkUser(app_server, token_for(tenant, "alice", desk)).upload(desk)
    record = f"{media_path(desk)}/{medium['sid']}"
    other_service = tenant.client.conversations.v1.services.create(friendly_name="other").sid
    elsewhere = SdkUser(app_server, token_for(tenant, "alice", other_service))
    refused = assert_twilio_error(elsewhere.get(record), 401, 20003)
    assert other_service in refused["message"] and desk in refused["message"]
    assert_twilio_error(elsewhere.post(media_path(desk), data=PNG), 401, 20003)
    stranger = new_tenant(app_server, "stranger")
    theirs = stranger.client.conversations.v1.services.create(friendly_name="theirs").sid
    assert_twilio_error(
        SdkUser(app_server, token_for(stranger, "alice", theirs)).get(record), 401, 20003
    )
    # A token forged, expired, or on a route that takes none is refused as the socket does.
    good = token_for(tenant, "alice", desk)
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    assert_twilio_error(SdkUser(app_server, forged).get(record), 401, 20107)
    key = on_database(app_server.database_url, lambda conn: newest_signing_key(conn, tenant.sid))
    assert key is not None
    an_hour_ago = utc_now() - timedelta(hours=1)
    expired = mint_access_token(key, "alice", desk, 60, an_hour_ago)
    assert_twilio_error(SdkUser(app_server, expired).get(record), 401, 20104)
    assert_twilio_error(SdkUser(app_server, good).get("/v1/Services"), 401, 20003)
    assert_twilio_error(anonymous(app_server.url + record), 401, 20003)


def test_an_sdk_user_reads_the_media_of_conversations_it_takes_part_in(
    tenant: Tenant, desk: str, app_server: AppServer
) -> None:
    private = tenant.client.conversations.v1.services(desk).conversations.create()
    private.participants.create(identity="carol")
    medium = SdkUser(app_server, token_for(tenant, "carol", desk)).upload(desk)
    private.messages.create(author="carol", media_sid=[medium["sid"]])
    record = f"{media_path(desk)}/{medium['sid']}"
    carol = SdkUser(app_server, token_for(tenant, "carol", desk))
    alice = SdkUser(app_server, token_for(tenant, "alice", desk))
    assert carol.get(record).status_code == 200
    assert_twilio_error(alice.get(record), 404, 20404)
    assert_twilio_error(alice.get(record + "/Content"), 404, 20404)
    asked = {"command": "get", "list": [{"media_sid": medium["sid"]}]}
    assert alice.post(media_path(desk) + "Set", json=asked).json() == [
        {"code": 404, "media_record": {"sid": medium["sid"]}}
    ]


def test_the_media_set_answers_each_medium_with_its_code(
    tenant: Tenant, desk: str, app_server: AppServer
) -> None:
    alice = SdkUser(app_server, token_for(tenant, "alice", desk))
    medium = alice.upload(desk)
    unknown = "ME" + "0" * 32
    asked = {"command": "get", "list": [{"media_sid": medium["sid"]}, {"media_sid": unknown}]}
    for caller in (alice, tenant.api):
        answer = caller.post(media_path(desk) + "Set", json=asked)
        assert answer.status_code == 200, answer.text
        found, missing = answer.json()
        assert found["code"] == 200 and found["media_record"]["sid"] == medium["sid"]
        temporary = found["media_record"]["links"]["content_direct_temporary"]
        assert anonymous(temporary).content == PNG
        assert missing == {"code": 404, "media_record": {"sid": unknown}}
    for bad in (
        b"not json",
        b'{"command": "delete", "list": []}',
        b'{"command": "get", "list": {}}',
        b'{"command": "get", "list": [{"media_sid": "ME1"}]}',
        b'{"command": "get", "list": [' + b",".join([b"{}"] * 101) + b"]}",
    ):
        answer = alice.post(media_path(desk) + "Set", data=bad)
        assert_twilio_error(answer, 400, 20001)


def test_a_temporary_url_needs_no_credentials_until_it_expires(
    tenant: Tenant, desk: str, app_server: AppServer
) -> None:
    medium = SdkUser(app_server, token_for(tenant, "alice", desk)).upload(desk)
    temporary = medium["links"]["content_direct_temporary"]
    served = anonymous(temporary)
    assert served.status_code == 200 and served.content == PNG
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    content = f"{app_server.url}{media_path(desk)}/{medium['sid']}/Content"
    a_second_ago = int(utc_now().timestamp()) - 1
    late = sign_content(tenant.auth_token, desk, medium["sid"], a_second_ago)
    expired = assert_twilio_error(
        anonymous(f"{content}?Expires={a_second_ago}&Signature={late}"), 403, 20403
    )
    assert "expired" in expired["message"]
    expires, signature = temporary.split("?")[1].split("&")
    forged = signature[:-2] + ("AA" if not signature.endswith("AA") else "BB")
    later = f"Expires={int(expires.split('=')[1]) + 60}"
    other = SdkUser(app_server, token_for(tenant, "alice", desk)).upload(desk)
    for refused in (
        f"{content}?{expires}&{forged}",  # a signature of its own
        f"{content}?{later}&{signature}",  # more time than was signed
        f"{content}?Expires=soon&{signature}",
        temporary.replace(medium["sid"], other["sid"]),  # another medium, same signature
    ):
        assert "not valid" in assert_twilio_error(anonymous(refused), 403, 20403)["message"]
    # A new auth token voids every URL signed with the old one.
    on_database(app_server.database_url, lambda conn: rotate_auth_token(conn, tenant.sid))
    assert_twilio_error(anonymous(temporary), 403, 20403)


def test_a_front_end_on_another_origin_may_send_the_sdks_headers(
    tenant: Tenant, desk: str, app_server: AppServer
) -> None:
    preflight = loopback_session().options(
        app_server.url + media_path(desk),
        headers={
            "Origin": "http://127.0.0.1:8092",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-twilio-token,content-type",
        },
        timeout=10,
    )
    assert preflight.status_code == 204
    allowed = preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "x-twilio-token" in allowed and "content-type" in allowed
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    medium = SdkUser(app_server, token_for(tenant, "alice", desk)).upload(desk)
    served = anonymous(medium["links"]["content_direct_temporary"])
    assert served.headers["Access-Control-Allow-Origin"] == "*"


def test_a_message_takes_at_most_the_total_media_size(
    tenant: Tenant, desk: str, app_server: AppServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(media_rules, "MAX_MEDIA_TOTAL_BYTES", len(PNG) + len(PDF))  # in-process
    alice = SdkUser(app_server, token_for(tenant, "alice", desk))
    first, second, third = (alice.upload(desk) for _ in range(3))
    chat = tenant.client.conversations.v1.services(desk).conversations.create()
    post = f"/v1/Services/{desk}/Conversations/{chat.sid}/Messages"
    too_much = tenant.api.post(post, {"MediaSid": [first["sid"], second["sid"]]})
    assert "more than" in assert_twilio_error(too_much, 400, 50512)["message"]
    assert tenant.api.post(post, {"MediaSid": [first["sid"]]}).status_code == 201
    assert tenant.api.post(post, {"MediaSid": [third["sid"]]}).status_code == 201


def test_the_dashboard_shows_a_messages_media_at_fresh_temporary_urls(
    tenant: Tenant, desk: str, app_server: AppServer, dashboard: Dashboard
) -> None:
    picture = SdkUser(app_server, token_for(tenant, "alice", desk)).upload(desk)
    report = tenant.api.post(
        media_path(desk) + "?Filename=report.pdf",
        data=PDF,
        headers={"Content-Type": "application/pdf"},
    ).json()
    chat = tenant.client.conversations.v1.services(desk).conversations.create()
    chat.messages.create(author="alice", media_sid=[picture["sid"], report["sid"]])
    page = dashboard.get(f"/conversations/{chat.sid}").text
    link = f"/chinwag/ui/conversations/{chat.sid}/media"
    assert f'<img src="{link}/{picture["sid"]}" alt="dot.png">' in page
    assert f'<a href="{link}/{report["sid"]}">report.pdf</a>' in page
    for medium, content in ((picture, PNG), (report, PDF)):
        redirect = dashboard.get(
            f"/conversations/{chat.sid}/media/{medium['sid']}", allow_redirects=False
        )
        assert redirect.status_code == 303
        location = redirect.headers["Location"]
        assert location.startswith(f"{media_path(desk)}/{medium['sid']}/Content?Expires=")
        assert anonymous(app_server.url + location).content == content
    # Another account's signed-in user finds neither the conversation's media nor any other.
    stranger = new_tenant(app_server, "stranger")
    theirs = Dashboard(app_server)
    assert theirs.sign_in(stranger.sid, stranger.auth_token).status_code == 200
    assert theirs.get(f"/conversations/{chat.sid}/media/{picture['sid']}").status_code == 404
    unattached = SdkUser(app_server, token_for(tenant, "alice", desk)).upload(desk)
    assert dashboard.get(f"/conversations/{chat.sid}/media/{unattached['sid']}").status_code == 404
