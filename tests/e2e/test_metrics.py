"""GET /chinwag/metrics in Prometheus format: queue, attempts and API figures."""

import re
import time

import requests

from chinwag.config import Settings
from tests.conftest import Api, receiver_for
from tests.inprocess import AppServer

ENABLED = {"X-Twilio-Webhook-Enabled": "true"}


def sample(text: str, name: str, labels: str = "") -> float:
    """The value of one sample line, e.g. sample(t, "chinwag_deliveries", 'status="delivered"')."""
    pattern = re.escape(name) + (r"\{" + re.escape(labels) + r"\}" if labels else "") + r" (\S+)"
    found = re.search(rf"^{pattern}$", text, re.MULTILINE)
    assert found, f"{name}{{{labels}}} not in:\n{text}"
    return float(found.group(1))


def test_metrics_show_deliveries_attempts_and_requests(fresh_app: AppServer) -> None:
    api = Api(fresh_app)
    with receiver_for(fresh_app) as receiver:
        conversation = api.post("/v1/Conversations", {}).json()["sid"]
        body = {
            "Target": "webhook",
            "Configuration.Url": receiver.url,
            "Configuration.Filters": "onMessageAdded",
        }
        api.post(f"/v1/Conversations/{conversation}/Webhooks", body)
        for _ in range(3):
            api.post(f"/v1/Conversations/{conversation}/Messages", {"Body": "m"}, headers=ENABLED)
        receiver.wait_for(3)

    def scrape() -> str:
        response = requests.get(f"{fresh_app.url}/chinwag/metrics", timeout=5)  # no credentials
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        return response.text

    text = scrape()
    for _ in range(100):  # the outcomes are recorded just after the receiver answers
        if sample(text, "chinwag_deliveries", 'status="delivered"') == 3:
            break
        time.sleep(0.05)
        text = scrape()
    assert sample(text, "chinwag_deliveries", 'status="delivered"') == 3
    assert sample(text, "chinwag_deliveries_due") == 0
    assert sample(text, "chinwag_oldest_due_delivery_age_seconds") == 0
    assert sample(text, "chinwag_delivery_attempt_seconds_count", 'outcome="ok"') == 3
    route = 'method="POST",route="/v1/Conversations/{ConversationSid}/Messages",status="201"'
    assert sample(text, "chinwag_api_requests_total", route) == 3
    assert (
        sample(text, "chinwag_api_request_seconds_count", 'method="POST",route="/v1/Conversations"')
        == 1
    )


def test_queue_depth_and_age_while_nobody_delivers(database_url: str) -> None:
    server = AppServer(database_url, Settings(run_worker=False)).start()
    try:
        api = Api(server)
        conversation = api.post("/v1/Conversations", {}).json()["sid"]
        body = {
            "Target": "webhook",
            "Configuration.Url": "http://127.0.0.1:9/never",
            "Configuration.Filters": "onConversationUpdated",
        }
        api.post(f"/v1/Conversations/{conversation}/Webhooks", body)
        api.post(f"/v1/Conversations/{conversation}", {"FriendlyName": "x"}, headers=ENABLED)

        def scrape() -> str:
            return requests.get(f"{server.url}/chinwag/metrics", timeout=5).text

        text = scrape()
        assert sample(text, "chinwag_deliveries", 'status="pending"') == 1
        assert sample(text, "chinwag_deliveries_due") == 1
        waited = sample(text, "chinwag_oldest_due_delivery_age_seconds")
        assert waited >= 0
        deadline = time.monotonic() + 10
        while sample(scrape(), "chinwag_oldest_due_delivery_age_seconds") < waited + 0.1:
            assert time.monotonic() < deadline, "the age of the waiting delivery does not grow"
            time.sleep(0.02)
    finally:
        server.stop()
