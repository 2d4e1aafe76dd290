"""The real SDK's media (tests/node/sdk_media.js) against chinwag's own media store, on both
engines: the configuration points the SDK's media client at chinwag, alice uploads with
`sendMessage` and `prepareMessage().addMedia(...)`, bob sees the descriptors and downloads
the same bytes from the temporary URLs with no credentials; media a REST message and an
inbound MMS carry reach the SDK the same way; the SDK's count limit and the server's size
limit refuse what they announce."""

import base64
from pathlib import Path

from twilio.rest import Client

from chinwag.domain.media import (
    MAX_MEDIA_BYTES,
    MAX_MEDIA_PER_MESSAGE,
    MAX_MEDIA_TOTAL_BYTES,
    MEBIBYTE,
)
from tests.conftest import Api, customer_number
from tests.e2e.test_channels import serving
from tests.e2e.test_client_sdk import (  # noqa: F401 (api_key, node_sdk: fixtures)
    NODE_DIR,
    api_key,
    node_sdk,
    run_sdk_live,
)
from tests.e2e.test_media import media_count
from tests.inprocess import AppServer

SCRIPT = NODE_DIR / "sdk_media.js"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
GIF = b"GIF89a" + bytes(range(64))
CAT = b"\x89PNG\r\n\x1a\n" + b"a cat" * 40
BUSINESS = "+15017122661"


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def test_sdk_clients_send_and_download_media_through_chinwag(
    node_sdk: Path,  # noqa: F811
    client: Client,
    api: Api,
    app_server: AppServer,
    api_key: tuple[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    service = client.conversations.v1.services.create(friendly_name="media").sid
    desk = client.conversations.v1.services(service)
    chat = desk.conversations.create(friendly_name="pictures")
    for identity in ("alice", "bob"):
        chat.participants.create(identity=identity)
    customer = customer_number()
    chat.participants.create(
        messaging_binding_address=customer, messaging_binding_proxy_address=BUSINESS
    )
    (tmp_path / "cat.png").write_bytes(CAT)

    def rest_and_mms(host: str) -> None:
        uploaded = api.post(
            f"/chinwag/v1/Services/{service}/Media",
            data=GIF,
            headers={"Content-Type": "image/gif", "Content-Disposition": "inline; filename=a.gif"},
        )
        assert uploaded.status_code == 201, uploaded.text
        chat.messages.create(author="system", media_sid=[uploaded.json()["sid"]])
        mms = {"From": customer, "To": BUSINESS, "Body": "", "MediaUrl": f"{host}/cat.png"}
        assert api.post("/chinwag/v1/Inbound", mms).status_code == 201

    key_sid, secret = api_key
    config = {"url": app_server.url, "accountSid": app_server.auth[0], "keySid": key_sid}
    config |= {"secret": secret, "serviceSid": service, "conversationSid": chat.sid}
    with serving(tmp_path) as host:
        lines = run_sdk_live({**config, "pngBase64": b64(PNG)}, lambda: rest_and_mms(host), SCRIPT)
    said = {line["event"]: line for line in lines}

    # The media client was pointed at chinwag's own store, under the server's URL.
    media_service = f"{app_server.url}/chinwag/v1/Services/{service}/Media"
    assert said["links"]["mediaService"] == media_service
    assert said["links"]["mediaSetService"] == media_service + "Set"
    assert not any("twilio.com" in link for link in said["links"].values())
    # ... told the limits the server enforces.
    assert said["limits"] == {
        "event": "limits",
        "count": MAX_MEDIA_PER_MESSAGE,
        "sizeMb": MAX_MEDIA_BYTES // MEBIBYTE,
        "totalMb": MAX_MEDIA_TOTAL_BYTES // MEBIBYTE,
    }
    assert said["sent"]["indexes"] == [0, 1]
    count = MAX_MEDIA_PER_MESSAGE
    assert said["tooMany"] == {
        "event": "tooMany",
        "refused": True,
        "message": f"Too many media attachments in the message ({count + 1} > {count})",
    }
    assert said["oversize"]["refused"] and said["oversize"]["status"] == 400
    assert said["oversize"]["body"]["code"] == 50512

    received = [line for line in lines if line["event"] == "received"]
    assert [(m["index"], m["author"], m["body"]) for m in received] == [
        (0, "alice", None),
        (1, "alice", "two files"),
        (2, "system", None),
        (3, customer, None),
    ]
    shown = [
        (m["contentType"], m["filename"], m["size"], m["category"])
        for message in received
        for m in message["media"]
    ]
    assert shown == [
        ("image/png", "dot.png", len(PNG), "media"),
        ("image/png", "dot.png", len(PNG), "media"),
        ("text/plain", "note.txt", len(b"a plain note\n"), "media"),
        ("image/gif", "a.gif", len(GIF), "media"),
        ("image/png", "cat.png", len(CAT), "media"),
    ]
    sent = [PNG, PNG, b"a plain note\n", GIF, CAT]
    media = [m for message in received for m in message["media"]]
    for medium, content in zip(media, sent, strict=True):
        assert medium["url"].startswith(f"{media_service}/{medium['sid']}/Content?Expires=")
        assert medium["own"] == medium["batch"] == {"status": 200, "base64": b64(content)}

    # The client's and the message's other ways to temporary URLs (the REST message's GIF).
    assert said["otherWays"]["statuses"] == [200] * 4
    assert said["otherWays"]["attached"] == [received[2]["media"][0]["sid"]]

    # REST sees the SDK's messages with the same media, and no oversized upload was kept.
    messages = chat.messages.list()
    assert [m["sid"] for m in messages[1].media] == [m["sid"] for m in received[1]["media"]]
    record = api.get(f"{media_service}/{media[0]['sid']}").json()
    assert (record["message_sid"], record["channel_sid"]) == (messages[0].sid, chat.sid)
    assert media_count(app_server, service) == len(sent)
