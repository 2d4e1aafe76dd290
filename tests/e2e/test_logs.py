"""`--log-format json`: the server's log lines are JSON objects carrying the delivery fields."""

import json
from typing import Any

from chinwag.testing import LiveServer
from tests.conftest import Api, server_and_receiver, wait_until
from tests.e2e.test_deliveries_api import rename, settled, watched_conversation


def json_lines(server: LiveServer) -> list[dict[str, Any]]:
    """Every log line (stdout's start-up banner aside: logs go to stderr), parsed."""
    banner = ("chinwag ", "Dashboard: ", "  (sign in")
    lines = [line for line in server.log().splitlines() if not line.startswith(banner)]
    return [json.loads(line) for line in lines]


def test_json_logs_show_each_failed_attempt_the_dead_letter_and_successes(
    database_url: str,
) -> None:
    args = ("--log-format", "json", "--log-level", "debug", "--retry-schedule", "0.2")
    with server_and_receiver(database_url, *args) as (server, receiver):
        api = Api(server)
        receiver.answers = [500, 404, 200]  # a retry, then a permanent failure; then success
        failing, webhook = watched_conversation(api, receiver.url + "/failing")
        rename(api, failing, "x")
        [dead] = settled(api, 1, "failed")
        working, _ = watched_conversation(api, receiver.url + "/working")
        rename(api, working, "y")
        [delivered] = settled(api, 1, "delivered")

        def delivery_lines() -> list[dict[str, Any]]:
            return [e for e in json_lines(server) if e["logger"] == "chinwag.delivery"]

        lines = wait_until(lambda: len(delivery_lines()) == 4 and delivery_lines())

    assert all({"ts", "level", "logger", "msg"} <= entry.keys() for entry in json_lines(server))
    first, second, dead_letter, success = lines
    expected = {
        "delivery_sid": dead["sid"],
        "webhook_sid": webhook,
        "event_type": "onConversationUpdated",
        "url": receiver.url + "/failing",
        "error": None,
    }
    assert first["level"] == second["level"] == "WARNING"
    assert (first["status"], first["attempt"]) == (500, 1) and first["retry_at"]
    assert (second["status"], second["attempt"], second["retry_at"]) == (404, 2, None)
    assert dead_letter["level"] == "ERROR" and "dead-lettered" in dead_letter["msg"]
    assert (dead_letter["status"], dead_letter["attempt"]) == (404, 2)
    for entry in (first, second, dead_letter):
        assert entry.items() >= expected.items(), entry
        assert isinstance(entry["latency_ms"], float)
    assert (success["level"], success["msg"], success["status"]) == ("DEBUG", "delivered", 200)
    assert success["delivery_sid"] == delivered["sid"]
