"""The real SDK (tests/node/sdk_receipts_presence.js) reading what chinwag answers beside
messages: `aggregatedDeliveryReceipt` and its live update, `getDetailedDeliveryReceipts`,
`getContentTemplates`, `getMessageRecipients`, and reachability (`reachabilityEnabled`,
`user.isOnline`, `userUpdated` when a user connects and leaves)."""

from pathlib import Path
from typing import Any

from twilio.rest import Client

from tests.conftest import Api, customer_number
from tests.e2e.test_client_sdk import (  # noqa: F401 (api_key, node_sdk: fixtures)
    NODE_DIR,
    api_key,
    node_sdk,
    run_sdk_live,
)
from tests.inprocess import AppServer

SCRIPT = NODE_DIR / "sdk_receipts_presence.js"


def run_live(config: dict[str, Any], when_ready: Any) -> list[dict[str, Any]]:
    """The script's lines, calling `when_ready` once its client listens."""
    return run_sdk_live(config, when_ready, SCRIPT)


def test_the_sdk_reads_receipts_templates_and_reachability(
    node_sdk: Path,  # noqa: F811
    client: Client,
    api: Api,
    app_server: AppServer,
    api_key: tuple[str, str],  # noqa: F811
) -> None:
    service = client.conversations.v1.services.create(friendly_name="receipts and presence")
    desk = client.conversations.v1.services(service.sid)
    desk.configuration().update(reachability_enabled=True)
    desk.users.create(identity="bob")
    chat = desk.conversations.create(friendly_name="Shipping")
    chat.participants.create(identity="agent")
    message = chat.messages.create(author="agent", body="Your order shipped")
    sms = chat.participants.create(
        messaging_binding_address=customer_number(),
        messaging_binding_proxy_address="+15017122661",
    )
    receipts = (
        f"/chinwag/v1/Services/{service.sid}/Conversations/{chat.sid}"
        f"/Messages/{message.sid}/Receipts"
    )
    recorded = api.post(receipts, {"ParticipantSid": sms.sid, "Status": "sent"})
    assert recorded.status_code == 201, recorded.text

    def read_it() -> None:
        answer = api.post(receipts, {"ParticipantSid": sms.sid, "Status": "read"})
        assert answer.status_code == 200, answer.text

    key_sid, secret = api_key
    config = {"url": app_server.url, "accountSid": app_server.auth[0], "keySid": key_sid}
    config |= {"secret": secret, "serviceSid": service.sid, "conversationSid": chat.sid}
    lines = run_live(config, read_it)
    said = {line["event"]: line for line in lines}
    none = {"failed": "none", "undelivered": "none", "total": 1}
    assert said["aggregated"]["receipt"] == {
        **none,
        "sent": "all",
        "delivered": "none",
        "read": "none",
    }
    [detailed] = said["detailed"]["receipts"]
    assert detailed == {
        "sid": recorded.json()["sid"],
        "status": "sent",
        "participantSid": sms.sid,
        "errorCode": 0,
    }
    assert (said["templates"]["count"], said["recipients"]["count"]) == (0, 0)
    assert said["reachability"] == {
        "event": "reachability",
        "enabled": True,
        "online": False,
        "notifiable": False,
    }
    assert said["deliveryUpdated"]["receipt"] == {
        **none,
        "sent": "all",
        "delivered": "all",
        "read": "all",
    }
    assert said["userUpdated"]["online"] == [True, False]
