"""--deny-private-targets: webhook URLs on private addresses are refused when configured and
when sent. Only 127.0.0.1 is ever connected to; other private literals are refused unsent."""

from collections.abc import Iterator

import pytest

from chinwag.delivery.target_guard import DENIED_ERROR
from chinwag.testing import WebhookReceiver
from tests.conftest import Api, app_and_receiver, assert_twilio_error
from tests.e2e.test_deliveries_api import DELIVERIES, add_webhook, listed, settled
from tests.inprocess import AppServer

ENABLED = {"X-Twilio-Webhook-Enabled": "true"}
PUBLIC_LITERAL = "http://93.184.216.34/hook"  # allowed; no event is ever sent to it here


@pytest.fixture
def guarded(database_url: str) -> Iterator[tuple[AppServer, WebhookReceiver, Api]]:
    with app_and_receiver(database_url, deny_private_targets=True) as pair:
        yield *pair, Api(pair[0])


def test_private_webhook_urls_are_refused_when_configured(
    guarded: tuple[AppServer, WebhookReceiver, Api],
) -> None:
    _, receiver, api = guarded
    port = receiver.url.rsplit(":", 1)[1]
    conversation = api.post("/v1/Conversations", {}).json()["sid"]
    refused = [
        f"http://127.0.0.1:{port}/hook",
        f"http://localhost:{port}/hook",
        f"http://[::ffff:127.0.0.1]:{port}/hook",
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.100.100.200/",
    ]
    for url in refused:
        error = assert_twilio_error(add_webhook(api, conversation, url), 400, 50369)
        assert url in error["message"] and "--deny-private-targets" in error["message"]
    assert api.get(f"/v1/Conversations/{conversation}/Webhooks").json()["webhooks"] == []

    created = add_webhook(api, conversation, PUBLIC_LITERAL)
    assert created.status_code == 201, created.text
    allowed = created.json()
    update = api.post(
        f"/v1/Conversations/{conversation}/Webhooks/{allowed['sid']}",
        {"Configuration.Url": f"http://localhost:{port}/moved"},
    )
    assert_twilio_error(update, 400, 50369)
    fetched = api.get(f"/v1/Conversations/{conversation}/Webhooks/{allowed['sid']}").json()
    assert fetched["configuration"]["url"] == PUBLIC_LITERAL  # nothing written

    for name in ("PostWebhookUrl", "PreWebhookUrl"):
        response = api.post("/v1/Configuration/Webhooks", {name: f"http://localhost:{port}/svc"})
        assert name in assert_twilio_error(response, 400, 20001)["message"]
    config = api.get("/v1/Configuration/Webhooks").json()
    assert (config["pre_webhook_url"], config["post_webhook_url"]) == (None, None)
    assert receiver.requests == []


def test_webhooks_configured_before_the_guard_are_refused_when_sent(database_url: str) -> None:
    """The send-time check: URLs stored without the flag are not sent once it is on."""
    # A refusal must not be retried: two quick retries would show if it were.
    with app_and_receiver(database_url, retry_schedule=(0.1, 0.1)) as (server, receiver):
        port = receiver.url.rsplit(":", 1)[1]
        api = Api(server)
        conversation = api.post("/v1/Conversations", {}).json()["sid"]
        for url in (f"http://127.0.0.1:{port}/literal", f"http://localhost:{port}/name"):
            assert add_webhook(api, conversation, url).status_code == 201
        api.post(
            "/v1/Configuration/Webhooks",
            {"PreWebhookUrl": f"http://localhost:{port}/pre", "Filters": "onConversationUpdate"},
        )
        server.restart(deny_private_targets=True)
        response = api.post(
            f"/v1/Conversations/{conversation}", {"FriendlyName": "guarded"}, headers=ENABLED
        )
        # A refused pre-event webhook is one that gave no answer: the change goes through.
        assert response.status_code == 200, response.text
        assert response.json()["friendly_name"] == "guarded"

        failed = settled(api, 2, "failed")
        for delivery in failed:
            assert (delivery["attempts"], delivery["error"]) == (1, DENIED_ERROR)
            [attempt] = api.get(f"{DELIVERIES}/{delivery['sid']}").json()["attempts"]
            assert (attempt["response_status"], attempt["error"]) == (None, DENIED_ERROR)
        assert {d["url"] for d in failed} == {
            f"http://127.0.0.1:{port}/literal",
            f"http://localhost:{port}/name",
        }
        assert listed(api, Status="pending") == []
        assert receiver.requests == []
