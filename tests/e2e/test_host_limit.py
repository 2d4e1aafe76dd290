"""--host-concurrency: many webhooks on one slow host get at most that many requests in
flight there, and a healthy host keeps receiving meanwhile."""

from chinwag.testing import WebhookReceiver
from tests.conftest import Api, app_and_receiver
from tests.e2e.test_deliveries_api import add_webhook, rename, settled, watched_conversation

LIMIT = 3
CONVERSATIONS, WEBHOOKS_EACH = 4, 5  # five is Twilio's limit per conversation


def test_a_slow_host_gets_at_most_the_limit_while_a_healthy_one_keeps_receiving(
    database_url: str,
) -> None:
    with app_and_receiver(database_url, host_concurrency=LIMIT) as pair:
        server, slow = pair
        api = Api(server)
        healthy = WebhookReceiver(server.auth_token).start()
        try:
            slow.delay = 0.5
            watched = []
            for c in range(CONVERSATIONS):
                conversation, _ = watched_conversation(api, f"{slow.url}/c{c}/w0")
                for w in range(1, WEBHOOKS_EACH):
                    response = add_webhook(api, conversation, f"{slow.url}/c{c}/w{w}")
                    assert response.status_code == 201, response.text
                watched.append(conversation)
            on_healthy, _ = watched_conversation(api, healthy.url + "/fine")

            for conversation in watched:
                rename(api, conversation, "to the slow host")
            slow.wait_for(1)
            for number in range(3):
                rename(api, on_healthy, f"healthy {number}")
            healthy.wait_for(3)
            slow_total = CONVERSATIONS * WEBHOOKS_EACH
            assert len(slow.requests) < slow_total  # the healthy host did not wait its turn

            slow.wait_for(slow_total, timeout=30)
            assert slow.max_in_flight == LIMIT
            assert healthy.max_in_flight == 1
            delivered = settled(api, slow_total + 3)  # those given back were not lost
            assert len({d["webhook_sid"] for d in delivered}) == slow_total + 1
        finally:
            healthy.stop()
