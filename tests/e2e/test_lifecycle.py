"""The server's life: data survives restarts, shutdown is clean, credentials bootstrap."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import requests

from chinwag.testing import LiveServer, free_port
from tests.conftest import Api

SEED = {
    "Target": "webhook",
    "Configuration.Url": "https://example.com",
    "Configuration.Method": "get",
    "Configuration.Filters": ["onMessageSent", "onConversationDestroyed"],
    "Configuration.ReplayAfter": "7",
}


def read_until_listening(process: "subprocess.Popen[str]") -> str:
    """What the server printed up to its "listening" line (bounded: it prints a few lines)."""
    assert process.stdout is not None
    lines = []
    for _ in range(50):
        lines.append(process.stdout.readline())
        if "listening" in lines[-1]:
            return "".join(lines)
    raise AssertionError("".join(lines))


def test_restart_keeps_every_resource(fresh_server: LiveServer) -> None:
    api = Api(fresh_server)
    service = api.post("/v1/Services", {"FriendlyName": "kept"}).json()
    conversation = api.post(
        f"/v1/Services/{service['sid']}/Conversations", {"UniqueName": "kept"}
    ).json()
    webhooks = f"/v1/Services/{service['sid']}/Conversations/kept/Webhooks"
    webhook = api.post(webhooks, SEED).json()
    default_conversation = api.post("/v1/Conversations", {"FriendlyName": "default"}).json()

    assert fresh_server.stop(signal.SIGTERM) == 0  # graceful shutdown exits cleanly
    fresh_server.start()

    assert api.get(f"/v1/Services/{service['sid']}").json() == service
    assert api.get(f"/v1/Services/{service['sid']}/Conversations/kept").json() == conversation
    assert api.get(f"{webhooks}/{webhook['sid']}").json() == webhook
    assert (
        api.get(f"/v1/Conversations/{default_conversation['sid']}").json() == default_conversation
    )
    assert len(api.get(webhooks).json()["webhooks"]) == 1


def test_sigint_also_stops_cleanly(fresh_server: LiveServer) -> None:
    assert fresh_server.stop(signal.SIGINT) == 0


def test_first_start_without_credentials_creates_and_prints_an_account(
    database_url: str,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "chinwag",
        "serve",
        "--port",
        str(port),
        "--database",
        database_url,
    ]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        printed = read_until_listening(process)
        sid = re.search(r"TWILIO_ACCOUNT_SID=(AC[0-9a-f]{32})", printed)
        token = re.search(r"TWILIO_AUTH_TOKEN=([0-9a-f]{32})", printed)
        assert sid and token, printed
        response = requests.get(
            f"http://127.0.0.1:{port}/v1/Conversations",
            auth=(sid.group(1), token.group(1)),
            timeout=5,
        )
        assert response.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=15)
    # A second start finds the account and prints no new credentials.
    again = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert "TWILIO_AUTH_TOKEN" not in read_until_listening(again)
    finally:
        again.send_signal(signal.SIGTERM)
        again.communicate(timeout=15)


def test_health_reports_the_database(chinwag_server: LiveServer) -> None:
    response = requests.get(f"{chinwag_server.url}/chinwag/health", timeout=5)
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_env_credentials_replace_the_token(database_url: str) -> None:
    server = LiveServer(database_url)
    server.start()
    old_token = server.auth_token
    server.stop()
    server.auth_token = "rotated-token"
    server.start()
    try:
        base = f"{server.url}/v1/Conversations"
        assert (
            requests.get(base, auth=(server.account_sid, "rotated-token"), timeout=5).status_code
            == 200
        )
        assert (
            requests.get(base, auth=(server.account_sid, old_token), timeout=5).status_code == 401
        )
    finally:
        server.stop()


def test_an_unsupported_database_url_is_refused_with_a_message(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "chinwag", "migrate", "--database", "mysql://nowhere/db"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "SQLite" in done.stdout and "PostgreSQL" in done.stdout


def test_a_malformed_account_sid_in_the_environment_is_refused_at_start(tmp_path: Path) -> None:
    env = {**os.environ, "TWILIO_ACCOUNT_SID": "AC123", "TWILIO_AUTH_TOKEN": "token"}
    command = [sys.executable, "-m", "chinwag", "serve", "--port", str(free_port())]
    command += ["--database", f"sqlite:///{tmp_path / 'refused.db'}"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "TWILIO_ACCOUNT_SID 'AC123' is not an account SID" in done.stdout
