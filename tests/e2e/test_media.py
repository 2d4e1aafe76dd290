"""Media and Content templates on messages: chinwag's media store (standing in for
Twilio's Media Content Service), MediaSid and ContentSid through twilio-python."""

import json
import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from chinwag.domain.media import (
    MAX_MEDIA_BYTES,
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_LINES,
    MAX_UPLOAD_PARTS,
)
from chinwag.store.media import CHUNK
from chinwag.testing import WebhookReceiver
from tests.conftest import Api, assert_twilio_error, other_account
from tests.databases import run_sql
from tests.e2e.families import Family, one_family
from tests.inprocess import AppServer

ME = re.compile(r"^ME[0-9a-f]{32}$")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
ENABLED = {"X-Twilio-Webhook-Enabled": "true"}
TEMPLATE = "HX" + "a" * 32
MEDIA_KEYS = {"sid", "account_sid", "service_sid", "date_created", "date_updated"}
MEDIA_KEYS |= {"channel_sid", "message_sid", "size", "content_type", "filename", "author"}
MEDIA_KEYS |= {"category", "url", "links", "date_upload_updated", "is_multipart_upstream"}


def service_of(api: Api, family: Family) -> str:
    if family.service_sid:
        return family.service_sid
    services = api.get("/v1/Services", params={"PageSize": 50}).json()["services"]
    conversation = api.post("/v1/Conversations", {}).json()
    api.delete(conversation["url"])
    sid: str = conversation["chat_service_sid"]
    assert sid in {service["sid"] for service in services}
    return sid


def upload(
    api: Api,
    service: str,
    content: bytes = PNG,
    content_type: str = "image/png",
    headers: dict[str, str] | None = None,
) -> dict[str, object]:
    response = api.post(
        f"/chinwag/v1/Services/{service}/Media",
        data=content,
        headers={"Content-Type": content_type, **(headers or {})},
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_an_upload_is_stored_and_served_back(api: Api, family: Family) -> None:
    service = service_of(api, family)
    medium = upload(api, service, headers={"Content-Disposition": 'attachment; filename="car.png"'})
    assert set(medium) == MEDIA_KEYS
    assert ME.match(str(medium["sid"]))
    assert (medium["service_sid"], medium["size"]) == (service, len(PNG))
    assert (medium["content_type"], medium["filename"]) == ("image/png", "car.png")
    assert medium["message_sid"] is None and medium["channel_sid"] is None
    url = f"{api.base}/chinwag/v1/Services/{service}/Media/{medium['sid']}"
    assert medium["url"] == url
    links = medium.pop("links")
    assert isinstance(links, dict) and links["content"] == url + "/Content"
    assert links["content_direct_temporary"].startswith(url + "/Content?Expires=")
    assert medium["date_upload_updated"] == medium["date_created"]
    assert (medium["author"], medium["is_multipart_upstream"]) == (None, False)
    fetched = api.get(url).json()
    assert fetched.pop("links")["content"] == links["content"]
    assert fetched == medium
    content = api.get(url + "/Content")
    assert content.status_code == 200
    assert content.content == PNG
    assert content.headers["Content-Type"] == "image/png"


def test_a_multipart_upload_takes_its_file_part(api: Api, family: Family) -> None:
    service = service_of(api, family)
    response = api.post(
        f"/chinwag/v1/Services/{service}/Media",
        data={"note": "not the media"},
        files={"file": ("report.pdf", b"%PDF-1.4 tiny", "application/pdf")},
    )
    assert response.status_code == 201, response.text
    medium = response.json()
    assert (medium["filename"], medium["content_type"], medium["size"]) == (
        "report.pdf",
        "application/pdf",
        len(b"%PDF-1.4 tiny"),
    )
    assert api.get(medium["links"]["content"]).content == b"%PDF-1.4 tiny"


def test_a_media_message_through_twilio_python(api: Api, client: Client, family: Family) -> None:
    service = service_of(api, family)
    first, second = upload(api, service), upload(api, service, b"GIF89a", "image/gif")
    conversation = family.scope.conversations.create(friendly_name="media")
    message = conversation.messages.create(author="alice", media_sid=[first["sid"], second["sid"]])
    assert message.body is None
    assert message.content_sid is None
    assert message.media == [
        {
            "sid": first["sid"],
            "content_type": "image/png",
            "filename": None,
            "size": len(PNG),
            "category": "media",
        },
        {
            "sid": second["sid"],
            "content_type": "image/gif",
            "filename": None,
            "size": 6,
            "category": "media",
        },
    ]
    assert conversation.messages(message.sid).fetch().media == message.media
    listed = conversation.messages.list()
    assert [m.media for m in listed] == [message.media]
    attached = api.get(str(first["url"])).json()
    assert (attached["message_sid"], attached["channel_sid"]) == (message.sid, conversation.sid)
    # A body comes along; the media stay when the body is edited.
    both = conversation.messages.create(body="look", media_sid=upload(api, service)["sid"])
    assert both.body == "look" and len(both.media) == 1
    edited = conversation.messages(both.sid).update(body="")
    assert edited.body is None and edited.media == both.media


def test_deleting_the_message_deletes_its_media(api: Api, family: Family) -> None:
    service = service_of(api, family)
    medium = upload(api, service)
    conversation = family.scope.conversations.create()
    message = conversation.messages.create(media_sid=medium["sid"])
    conversation.messages(message.sid).delete()
    assert_twilio_error(api.get(str(medium["url"])), 404, 20404)
    # and a conversation's deletion takes its messages' media with it
    other = upload(api, service)
    conversation.messages.create(media_sid=other["sid"])
    conversation.delete()
    assert_twilio_error(api.get(str(other["url"]) + "/Content"), 404, 20404)


def test_deleting_the_service_deletes_its_media(api: Api, client: Client) -> None:
    service = client.conversations.v1.services.create(friendly_name="media going")
    medium = upload(api, service.sid)
    service.delete()
    assert_twilio_error(api.get(str(medium["url"])), 404, 20404)


def test_a_medium_is_sent_with_one_message_only(api: Api, family: Family) -> None:
    service = service_of(api, family)
    medium = upload(api, service)
    conversation = family.scope.conversations.create()
    conversation.messages.create(media_sid=medium["sid"])
    with pytest.raises(TwilioRestException) as refused:
        conversation.messages.create(media_sid=medium["sid"])
    assert (refused.value.status, refused.value.code) == (400, 50508)
    assert len(conversation.messages.list()) == 1


def test_media_refusals_carry_twilios_codes(api: Api, family: Family, client: Client) -> None:
    service = service_of(api, family)
    conversation = family.scope.conversations.create()
    messages = f"{family.root}/Conversations/{conversation.sid}/Messages"
    unknown = "ME" + "0" * 32
    missing = assert_twilio_error(api.post(messages, {"MediaSid": unknown}), 400, 50507)
    assert missing["message"] == (
        f"Media not found: MediaSid '{unknown}' names no media of this Conversation Service."
    )
    malformed = assert_twilio_error(api.post(messages, {"MediaSid": "ME123"}), 400, 50510)
    assert malformed["message"] == (
        "Invalid message media SID: MediaSid 'ME123' is not ME + 32 hex digits."
    )
    elsewhere = client.conversations.v1.services.create(friendly_name="elsewhere")
    foreign = upload(api, elsewhere.sid)
    assert_twilio_error(api.post(messages, {"MediaSid": foreign["sid"]}), 400, 50507)
    eleven = [upload(api, service, b"x")["sid"] for _ in range(11)]
    assert_twilio_error(api.post(messages, {"MediaSid": eleven}), 400, 21623)
    twice = upload(api, service)["sid"]
    again = assert_twilio_error(api.post(messages, {"MediaSid": [twice, twice]}), 400, 50508)
    assert again["message"] == "Media already sent with another message: a MediaSid is given twice."
    assert_twilio_error(api.post(messages, {}), 400, 50503)
    assert api.get(messages).json()["messages"] == []  # nothing was written, no index taken
    assert api.post(messages, {"Body": "first"}).json()["index"] == 0
    elsewhere.delete()


@one_family
def test_uploads_are_checked(api: Api, family: Family) -> None:
    media = f"/chinwag/v1/Services/{service_of(api, family)}/Media"
    assert_twilio_error(api.post(media, data=PNG, headers={"Content-Type": ""}), 400, 50511)
    assert_twilio_error(api.post(media, data=PNG, headers={"Content-Type": "png"}), 400, 50511)
    assert_twilio_error(
        api.post(media, data=b"", headers={"Content-Type": "image/png"}), 400, 20001
    )
    too_big = b"\0" * (MAX_MEDIA_BYTES + 1)
    response = api.post(media, data=too_big, headers={"Content-Type": "image/png"})
    too_large = assert_twilio_error(response, 400, 50512)
    assert too_large["message"] == (
        f"Message media size is too large: more than {MAX_MEDIA_BYTES} bytes (150 MB)."
    )
    no_file = api.post(media, files={"note": (None, "text only")})
    assert_twilio_error(no_file, 400, 20001)
    assert_twilio_error(api.get(media + "/ME" + "0" * 32), 404, 20404)
    assert_twilio_error(api.get(media + "/not-a-sid/Content"), 404, 20404)


@one_family
def test_an_upload_at_the_limit_is_taken(api: Api, family: Family) -> None:
    # 150 MiB in and out of the database takes longer than Api's 10 s on a busy machine.
    media = f"{api.base}/chinwag/v1/Services/{service_of(api, family)}/Media"
    stored = api.session.post(
        media, data=b"\1" * MAX_MEDIA_BYTES, headers={"Content-Type": "video/mp4"}, timeout=300
    )
    assert stored.status_code == 201, stored.text
    assert stored.json()["size"] == MAX_MEDIA_BYTES
    served = api.session.get(stored.json()["links"]["content"], timeout=300)
    assert len(served.content) == MAX_MEDIA_BYTES


def test_another_account_cannot_see_or_send_the_media(
    api: Api, app_server: AppServer, family: Family
) -> None:
    service = service_of(api, family)
    medium = upload(api, service)
    intruder = other_account(app_server)
    assert_twilio_error(intruder.get(str(medium["url"])), 404, 20404)
    assert_twilio_error(intruder.get(str(medium["url"]) + "/Content"), 404, 20404)
    response = intruder.post(
        f"/chinwag/v1/Services/{service}/Media", data=PNG, headers={"Content-Type": "image/png"}
    )
    assert_twilio_error(response, 404, 20404)
    conversation = intruder.post("/v1/Conversations", {}).json()
    refused = intruder.post(f"{conversation['url']}/Messages", {"MediaSid": medium["sid"]})
    assert_twilio_error(refused, 400, 50507)


def test_a_content_template_message_through_twilio_python(family: Family) -> None:
    conversation = family.scope.conversations.create()
    message = conversation.messages.create(
        author="bot", content_sid=TEMPLATE, content_variables='{"1": "Ada"}', body="ignored"
    )
    assert message.content_sid == TEMPLATE
    assert message.body is None and message.media is None
    assert conversation.messages(message.sid).fetch().content_sid == TEMPLATE


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ({"ContentSid": "HX123"}, 50526),
        ({"ContentSid": "ME" + "a" * 32}, 50526),
        ({"ContentSid": TEMPLATE, "ContentVariables": "[1]"}, 50527),
        ({"ContentSid": TEMPLATE, "ContentVariables": "{"}, 50527),
        ({"ContentVariables": "{}", "Body": "hi"}, 50528),
        ({"ContentSid": TEMPLATE, "ContentVariables": json.dumps({"k": "v" * 27_800})}, 50529),
        ({"ContentSid": TEMPLATE, "ContentVariables": json.dumps({"k" * 17: "v"})}, 50540),
        ({"ContentSid": TEMPLATE, "ContentVariables": json.dumps({"1": "v" * 257})}, 50541),
    ],
)
def test_content_refusals_carry_twilios_codes(api: Api, given: dict[str, str], code: int) -> None:
    conversation = api.post("/v1/Conversations", {}).json()
    response = api.post(f"{conversation['url']}/Messages", given)
    assert_twilio_error(response, 400, code)
    api.delete(conversation["url"])


def test_on_message_added_carries_media_and_content_sid(
    api: Api, webhook_receiver: WebhookReceiver, family: Family
) -> None:
    service = service_of(api, family)
    medium = upload(api, service, headers={"Content-Disposition": 'inline; filename="car.png"'})
    conversation = api.post(f"{family.root}/Conversations", {}).json()
    hook = {
        "Target": "webhook",
        "Configuration.Url": webhook_receiver.url + "/media",
        "Configuration.Filters": "onMessageAdded",
    }
    api.post(f"{conversation['url']}/Webhooks", hook)
    messages = f"{conversation['url']}/Messages"
    api.post(messages, {"MediaSid": medium["sid"], "Author": "alice"}, headers=ENABLED)
    api.post(messages, {"ContentSid": TEMPLATE}, headers=ENABLED)
    with_media, with_template = webhook_receiver.wait_for(2)
    assert with_media.signature_valid
    assert "Body" not in with_media.form  # a media-only message has none (C2)
    assert json.loads(with_media.form["Media"]) == [
        {"Sid": medium["sid"], "Filename": "car.png", "ContentType": "image/png", "Size": len(PNG)}
    ]
    assert "ContentSid" not in with_media.form
    assert with_template.form["ContentSid"] == TEMPLATE
    assert "Media" not in with_template.form and "Body" not in with_template.form


def test_the_pre_event_carries_the_media_and_a_403_attaches_nothing(
    api: Api, webhook_receiver: WebhookReceiver
) -> None:
    service = api.post("/v1/Services", {"FriendlyName": "guarded media"}).json()["sid"]
    root = f"/v1/Services/{service}"
    pre = {"PreWebhookUrl": webhook_receiver.url + "/pre", "Filters": "onMessageAdd"}
    api.post(f"{root}/Configuration/Webhooks", pre)
    medium = upload(api, service, headers={"Content-Disposition": 'inline; filename="a.png"'})
    messages = (
        f"{root}/Conversations/{api.post(f'{root}/Conversations', {}).json()['sid']}/Messages"
    )
    webhook_receiver.status = 403
    refused = api.post(messages, {"MediaSid": medium["sid"]}, headers=ENABLED)
    assert_twilio_error(refused, 403, 20403)
    [asked] = webhook_receiver.wait_for(1)
    assert asked.form["EventType"] == "onMessageAdd" and "Body" not in asked.form
    assert json.loads(asked.form["Media"]) == [
        {"Sid": medium["sid"], "Filename": "a.png", "ContentType": "image/png", "Size": len(PNG)}
    ]
    assert api.get(str(medium["url"])).json()["message_sid"] is None  # still free
    webhook_receiver.status = 200
    sent = api.post(messages, {"MediaSid": medium["sid"]}, headers=ENABLED)
    assert sent.status_code == 201, sent.text
    api.delete(f"/v1/Services/{service}")


def test_two_messages_racing_for_one_medium_one_wins(api: Api, family: Family) -> None:
    service = service_of(api, family)
    medium = upload(api, service)
    paths = [
        f"{api.post(f'{family.root}/Conversations', {}).json()['url']}/Messages" for _ in range(2)
    ]
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda path: api.post(path, {"MediaSid": medium["sid"]}), paths))
    assert sorted(answer.status_code for answer in answers) == [201, 400]
    loser = next(answer for answer in answers if answer.status_code == 400)
    assert_twilio_error(loser, 400, 50508)
    winner = next(answer.json() for answer in answers if answer.status_code == 201)
    assert api.get(str(medium["url"])).json()["message_sid"] == winner["sid"]


# --- Bounded, streamed uploads and safely served content (security review, item 3) ---

BOUNDARY = "chinwag-upload-boundary"
MULTIPART_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def multipart_body(*parts: bytes, preamble: bytes = b"") -> bytes:
    """A multipart/form-data body of ready-made parts (each its headers, a blank line and
    its bytes), as a client that sends many would build it."""
    framed = b"".join(f"--{BOUNDARY}\r\n".encode() + part + b"\r\n" for part in parts)
    return preamble + framed + f"--{BOUNDARY}--\r\n".encode()


def text_part(name: str, value: bytes = b"") -> bytes:
    return f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value


def file_part(filename: str, content: bytes, content_type: str = "image/png") -> bytes:
    disposition = f'Content-Disposition: form-data; name="file"; filename="{filename}"'
    return f"{disposition}\r\nContent-Type: {content_type}\r\n\r\n".encode() + content


def media_count(app_server: AppServer, service: str) -> int:
    rows = run_sql(
        app_server.database_url, "SELECT count(*) FROM media WHERE service_sid = :s", s=service
    )
    return int(rows[0][0])


def chunks_of(total: int, size: int = 1024 * 1024) -> Iterator[bytes]:
    """`total` bytes in chunks: requests sends a generator chunked, with no Content-Length."""
    block = b"\2" * size
    while total > 0:
        yield block[: min(size, total)]
        total -= size


def test_an_upload_of_many_empty_parts_is_refused_and_the_server_still_answers(
    api: Api, app_server: AppServer, client: Client
) -> None:
    service = client.conversations.v1.services.create(friendly_name="many parts").sid
    media = f"/chinwag/v1/Services/{service}/Media"
    empty = [text_part("note") for _ in range(5_000)]
    body = multipart_body(*empty, file_part("late.png", PNG))
    refused = api.post(media, data=body, headers={"Content-Type": MULTIPART_TYPE})
    error = assert_twilio_error(refused, 400, 20001)
    assert error["message"] == (
        "The multipart/form-data body has no file part among its first "
        f"{MAX_UPLOAD_PARTS} parts, which is as far as chinwag reads an upload."
    )
    assert api.get("/chinwag/health").json() == {"status": "ok"}
    # The file part among the first hundred is taken, whatever follows it.
    body = multipart_body(*empty[: MAX_UPLOAD_PARTS - 1], file_part("early.png", PNG), *empty)
    taken = api.post(media, data=body, headers={"Content-Type": MULTIPART_TYPE})
    assert taken.status_code == 201, taken.text
    assert media_count(app_server, service) == 1
    api.delete(f"/v1/Services/{service}")


@one_family
def test_an_upload_of_empty_lines_is_refused(api: Api, family: Family) -> None:
    media = f"/chinwag/v1/Services/{service_of(api, family)}/Media"
    body = multipart_body(file_part("a.png", PNG), preamble=b"\r\n" * 200_000)
    refused = api.post(media, data=body, headers={"Content-Type": MULTIPART_TYPE})
    error = assert_twilio_error(refused, 400, 20001)
    assert error["message"] == (
        f"The multipart/form-data body has more than {MAX_UPLOAD_LINES} lines of "
        "boundaries, part headers and preamble, more than chinwag reads in one upload."
    )
    assert api.get("/chinwag/health").status_code == 200


def test_an_oversize_upload_is_refused_while_it_streams_and_stores_nothing(
    api: Api, app_server: AppServer, client: Client
) -> None:
    service = client.conversations.v1.services.create(friendly_name="oversize").sid
    media = f"{api.base}/chinwag/v1/Services/{service}/Media"
    raw = api.session.post(
        media,
        data=chunks_of(MAX_MEDIA_BYTES + 1),
        headers={"Content-Type": "video/mp4"},
        timeout=300,
    )
    assert_twilio_error(raw, 400, 50512)
    # Text fields past the form allowance, before any file part.
    fields = text_part("note", b"\0" * (MAX_UPLOAD_BYTES + 1))
    form = api.session.post(
        media, data=multipart_body(fields), headers={"Content-Type": MULTIPART_TYPE}, timeout=300
    )
    too_large = assert_twilio_error(form, 400, 50512)
    assert too_large["message"] == (
        f"Message media size is too large: the multipart body is more than {MAX_UPLOAD_BYTES} "
        "bytes (150 MB of media and 1 MB of form fields)."
    )
    file = file_part("big.mp4", b"\0" * (MAX_MEDIA_BYTES + 1), "video/mp4")
    form = api.session.post(
        media, data=multipart_body(file), headers={"Content-Type": MULTIPART_TYPE}, timeout=300
    )
    assert_twilio_error(form, 400, 50512)
    assert media_count(app_server, service) == 0
    assert api.get("/chinwag/health").status_code == 200
    api.delete(f"/v1/Services/{service}")


@one_family
def test_a_large_upload_round_trips_byte_for_byte(api: Api, family: Family) -> None:
    media = f"{api.base}/chinwag/v1/Services/{service_of(api, family)}/Media"
    content = os.urandom(20 * 1024 * 1024)
    raw = api.session.post(media, data=content, headers={"Content-Type": "video/mp4"}, timeout=120)
    form = api.session.post(
        media,
        data={"note": "beside the media"},
        files={"file": ("clip.mp4", content, "video/mp4")},
        timeout=120,
    )
    for stored in (raw, form):
        assert stored.status_code == 201, stored.text
        assert stored.json()["size"] == len(content)
        served = api.session.get(stored.json()["links"]["content"], timeout=120)
        assert served.status_code == 200
        assert served.content == content


@one_family
def test_a_medium_of_several_chunks_streams_with_its_length_and_headers(
    api: Api, family: Family
) -> None:
    content = os.urandom(2 * CHUNK + 12_345)  # two whole chunks and a part
    disposition = {"Content-Disposition": 'inline; filename="clip.mp4"'}
    medium = upload(api, service_of(api, family), content, "video/mp4", disposition)
    url = str(medium["links"]["content"])  # type: ignore[index]
    received = bytearray()
    with api.session.get(url, stream=True, timeout=60) as served:
        assert served.status_code == 200
        assert served.headers["Content-Length"] == str(len(content))
        assert "Transfer-Encoding" not in served.headers
        assert served.headers["Content-Type"] == "video/mp4"
        assert served.headers["Content-Disposition"] == (
            "inline; filename=\"clip.mp4\"; filename*=UTF-8''clip.mp4"
        )
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert served.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
        assert served.headers["Access-Control-Allow-Origin"] == "*"
        for part in served.iter_content(100_000):
            received += part
    assert received == content


def test_a_download_left_or_cut_short_by_a_deletion_frees_the_server(
    api: Api, client: Client
) -> None:
    """While a client holds a download open, other requests are answered; a medium deleted
    meanwhile may end its download early, but never with other bytes and never by a hang."""
    service = client.conversations.v1.services.create(friendly_name="streamed").sid
    content = os.urandom(24 * CHUNK)  # more than the sockets' buffers hold
    medium = upload(api, service, content, "video/mp4")
    url = str(medium["links"]["content"])  # type: ignore[index]
    with api.session.get(url, stream=True, timeout=60) as left:
        assert len(next(left.iter_content(CHUNK))) > 0
    received = bytearray()
    with api.session.get(url, stream=True, timeout=60) as cut:
        parts = cut.iter_content(CHUNK)
        received += next(parts)
        assert api.get(str(medium["url"])).json()["sid"] == medium["sid"]
        assert api.delete(f"/v1/Services/{service}").status_code == 204
        try:
            for part in parts:
                received += part
        except requests.exceptions.ChunkedEncodingError:  # closed short: the medium is gone
            pass
    assert content.startswith(received)
    assert api.get("/chinwag/health").json() == {"status": "ok"}


ACTIVE_TYPES = [
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/xml",
    "application/xml",
    "application/javascript",
    "text/javascript",
    "application/pdf",  # its viewers run scripts; Chrome shows none under the sandbox
    "application/octet-stream",  # anything not known to be passive
    "image/x-unknown",
]


@one_family
@pytest.mark.parametrize("content_type", ACTIVE_TYPES)
def test_active_content_is_served_as_a_sandboxed_download(
    api: Api, family: Family, content_type: str
) -> None:
    service = service_of(api, family)
    page = b"<html><script>fetch('/dashboard').then(r => r.text())</script></html>"
    medium = upload(api, service, page, content_type)
    served = api.get(str(medium["links"]["content"]))  # type: ignore[index]
    assert served.content == page
    assert served.headers["Content-Type"] == content_type
    assert served.headers["Content-Disposition"] == "attachment"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"


@one_family
def test_a_download_keeps_its_filename_escaped(api: Api, family: Family) -> None:
    service = service_of(api, family)
    quoted = r'attachment; filename="p\"1\" x=%41\\.html"'  # p"1" x=%41\.html
    medium = upload(api, service, b"<p>hi</p>", "text/html", {"Content-Disposition": quoted})
    assert medium["filename"] == 'p"1" x=%41\\.html'
    served = api.get(str(medium["links"]["content"]))  # type: ignore[index]
    assert served.headers["Content-Disposition"] == (
        "attachment; filename=\"p_1_ x=_41_.html\"; filename*=UTF-8''p%221%22%20x%3D%2541%5C.html"
    )
    response = api.post(
        f"/chinwag/v1/Services/{service}/Media",
        files={"file": ("pàge.svg", b"<svg/>", "image/svg+xml")},
    )
    assert response.json()["filename"] == "pàge.svg"
    served = api.get(response.json()["links"]["content"])
    assert served.headers["Content-Disposition"] == (
        "attachment; filename=\"p_ge.svg\"; filename*=UTF-8''p%C3%A0ge.svg"
    )


@one_family
@pytest.mark.parametrize(
    "content_type", ["image/png", "image/jpeg", "audio/ogg", "video/mp4", "text/plain"]
)
def test_passive_content_is_served_inline_with_nosniff(
    api: Api, family: Family, content_type: str
) -> None:
    service = service_of(api, family)
    medium = upload(
        api, service, PNG, content_type, {"Content-Disposition": 'inline; filename="car.png"'}
    )
    served = api.get(str(medium["links"]["content"]))  # type: ignore[index]
    assert served.content == PNG
    assert served.headers["Content-Type"] == content_type
    assert served.headers["Content-Disposition"] == (
        "inline; filename=\"car.png\"; filename*=UTF-8''car.png"
    )
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"


@one_family
def test_a_compressible_medium_is_stored_whole_so_downloads_read_slices(
    api: Api, family: Family, app_server: AppServer
) -> None:
    """PostgreSQL would compress a repeated byte, and every MiB a download reads would then
    decompress the value from its start (store/media.py, tables.py)."""
    content = b"a" * (2 * CHUNK)
    medium = upload(api, service_of(api, family), content, "text/plain")
    url, sid = app_server.database_url, str(medium["sid"])
    if url.startswith("postgresql"):
        query = "SELECT pg_column_compression(content), octet_length(content) FROM media"
        assert run_sql(url, f"{query} WHERE sid = :sid", sid=sid) == [(None, len(content))]
    else:
        query = "SELECT length(content) FROM media WHERE sid = :sid"
        assert run_sql(url, query, sid=sid) == [(len(content),)]
    assert api.get(str(medium["links"]["content"])).content == content  # type: ignore[index]
