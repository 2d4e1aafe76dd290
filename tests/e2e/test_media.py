"""Media and Content templates on messages: chinwag's media store (standing in for
Twilio's Media Content Service), MediaSid and ContentSid through twilio-python."""

import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from chinwag.domain.media import MAX_MEDIA_BYTES
from chinwag.testing import WebhookReceiver
from tests.conftest import Api, assert_twilio_error, other_account
from tests.e2e.families import Family, one_family
from tests.inprocess import AppServer

ME = re.compile(r"^ME[0-9a-f]{32}$")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
ENABLED = {"X-Twilio-Webhook-Enabled": "true"}
TEMPLATE = "HX" + "a" * 32
MEDIA_KEYS = {"sid", "account_sid", "service_sid", "date_created", "date_updated"}
MEDIA_KEYS |= {"channel_sid", "message_sid", "size", "content_type", "filename", "author"}
MEDIA_KEYS |= {"category", "url", "links"}


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
    assert medium["links"] == {
        "content": url + "/Content",
        "content_direct_temporary": url + "/Content",
    }
    assert api.get(url).json() == medium
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
