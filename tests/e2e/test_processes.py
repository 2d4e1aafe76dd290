"""`chinwag serve --processes N`: N servers accept on one port, one delivery worker set,
and the parent stops them all (cli/processes.py)."""

import os
import signal
from pathlib import Path

import requests

from tests.conftest import Api, server_and_receiver, wait_until

ENABLED = {"X-Twilio-Webhook-Enabled": "true"}


def children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in found]


def test_two_processes_each_serve_the_port_and_deliver_each_webhook_once(
    database_url: str,
) -> None:
    with server_and_receiver(database_url, "--processes", "2") as (server, receiver):
        assert server.process is not None
        servers = children(server.process.pid)
        assert len(servers) == 2
        api = Api(server)
        conversation = api.post("/v1/Conversations", {}).json()["sid"]
        hook = {
            "Target": "webhook",
            "Configuration.Url": receiver.url + "/hook",
            "Configuration.Filters": "onMessageAdded",
        }
        assert api.post(f"/v1/Conversations/{conversation}/Webhooks", hook).status_code == 201
        # With one server stopped, the other takes every connection: each one serves alone.
        for stopped, number in ((servers[0], 0), (servers[1], 1)):
            os.kill(stopped, signal.SIGSTOP)
            try:
                for message in range(3):
                    answer = requests.post(  # a new connection each time
                        f"{server.url}/v1/Conversations/{conversation}/Messages",
                        data={"Body": f"{number}-{message}"},
                        auth=server.auth,
                        headers=ENABLED,
                        timeout=10,
                    )
                    assert answer.status_code == 201, answer.text
            finally:
                os.kill(stopped, signal.SIGCONT)
        receiver.wait_for(6, timeout=20)
        assert all(request.signature_valid for request in receiver.requests)
        bodies = sorted(request.form["Body"] for request in receiver.requests)
        assert bodies == ["0-0", "0-1", "0-2", "1-0", "1-1", "1-2"]  # each once
        assert server.stop() == 0
        wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in servers))


def test_a_server_that_dies_stops_the_others_and_the_parent_fails(database_url: str) -> None:
    with server_and_receiver(database_url, "--processes", "2") as (server, _):
        assert server.process is not None
        first, second = children(server.process.pid)
        os.kill(first, signal.SIGKILL)
        assert server.process.wait(timeout=15) == 1
        wait_until(lambda: not Path(f"/proc/{second}").exists())
