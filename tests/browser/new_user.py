"""A new user's first session, in Chromium, against a real `chinwag serve`; screenshots.

    python -m tests.browser.new_user [docs/img]

Starts `chinwag serve` on a free port with a fresh database and no TWILIO_*
variables, reads the dashboard URL and the first account's credentials from what
it prints, signs in, makes a conversation whose webhook answers 500 (through
twilio-python, as an application would), watches the attempt fail, lets the
receiver recover, presses Redeliver and waits for `delivered`. With a directory
argument it saves the README's screenshots there (PNG).
"""

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from chinwag.testing import WebhookReceiver, free_port, twilio_client
from tests.browser.chromium import HOW_TO_INSTALL, LAUNCH_ARGS, ensure_chromium

STARTUP_TIMEOUT = 30.0


class Printed:
    """What `chinwag serve` printed that a new user reads: the URL and the credentials."""

    def __init__(self, output: str) -> None:
        url = re.search(r"Dashboard: (http://\S+)", output)
        sid = re.search(r"TWILIO_ACCOUNT_SID=(AC[0-9a-f]{32})", output)
        token = re.search(r"TWILIO_AUTH_TOKEN=(\S+)", output)
        assert url and sid and token, output
        self.dashboard, self.account_sid, self.auth_token = url[1], sid[1], token[1]
        self.url = self.dashboard.split("/chinwag/ui/")[0]


def serve(directory: Path) -> tuple[subprocess.Popen[str], Printed]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "CHINWAG_"))}
    command = [sys.executable, "-m", "chinwag", "serve", "--port", str(free_port())]
    command += ["--database", f"sqlite:///{directory / 'chinwag.db'}"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    output, deadline = "", time.monotonic() + STARTUP_TIMEOUT
    while "Dashboard:" not in output and time.monotonic() < deadline:
        output += process.stdout.readline()
    print(output, end="")
    # Keep reading, so the server never blocks on a full pipe.
    drain = threading.Thread(target=process.stdout.read, daemon=True)
    drain.start()
    return process, Printed(output)


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(30)
    if process.stdout is not None:
        process.stdout.close()


def first_session(page: Page, printed: Printed, shots: Path | None) -> None:
    receiver = WebhookReceiver(printed.auth_token).start()
    receiver.status, receiver.body = 500, b'{"error": "the bot is not ready"}'
    client = twilio_client(_Server(printed))
    conversation = client.conversations.v1.conversations.create(
        friendly_name="Customer 1042", unique_name="order-1042"
    )
    conversation.webhooks.create(
        target="webhook",
        configuration_url=receiver.url + "/bot",
        configuration_filters=["onMessageAdded"],
    )
    conversation.participants.create(identity="agent.ada")
    page.goto(printed.dashboard)
    page.get_by_label("Account SID or API key SID").fill(printed.account_sid)
    page.get_by_label("Auth Token or API key secret").fill(printed.auth_token)
    page.get_by_role("button", name="Sign in").click()
    client.conversations.v1.conversations.create(friendly_name="Customer 1043")
    page.get_by_role("link", name="Customer 1042").click()
    conversation.messages.create(
        author="agent.ada", body="Your order ships today.", x_twilio_webhook_enabled="true"
    )
    expect(page.locator("#messages li")).to_contain_text("Your order ships today.")
    # The first attempt answered 500: the default schedule retries it in 5 s.
    expect(page.locator("#delivery-rows")).to_contain_text("retry at")
    if shots:
        page.screenshot(path=shots / "dashboard-conversation.png", full_page=True)
    page.get_by_role("link", name="Deliveries").click()
    expect(page.locator("#delivery-rows")).to_contain_text("500")
    if shots:
        page.screenshot(path=shots / "dashboard-deliveries.png")
    page.locator("#delivery-rows a").first.click()
    receiver.status, receiver.body = 200, b"{}"
    page.get_by_role("button", name="Redeliver").click()
    expect(page.locator("#delivery-status")).to_have_text("delivered")
    expect(page.locator("#attempts tbody tr")).to_have_count(2)
    if shots:
        page.screenshot(path=shots / "dashboard-delivery.png", full_page=True)
    receiver.stop()


class _Server:
    def __init__(self, printed: Printed) -> None:
        self.url, self.account_sid, self.auth_token = (
            printed.url,
            printed.account_sid,
            printed.auth_token,
        )


def main(argv: list[str]) -> None:
    shots = Path(argv[0]) if argv else None
    executable = ensure_chromium()
    if executable is None:
        sys.exit(HOW_TO_INSTALL)
    with tempfile.TemporaryDirectory() as directory:
        process, printed = serve(Path(directory))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(executable), args=LAUNCH_ARGS
                )
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.set_default_timeout(10_000)
                first_session(page, printed, shots)
                browser.close()
        finally:
            stop(process)
    print("A new user signed in, saw the webhook fail and redelivered it.")


if __name__ == "__main__":
    main(sys.argv[1:])
