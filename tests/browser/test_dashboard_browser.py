"""The dashboard in a real Chromium: what a person sees and clicks.

Data is made through twilio-python as an application would; webhooks go to the
real `WebhookReceiver`. Live updates are checked without reloading the page.
"""

import re
import struct
import zlib
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from chinwag.testing import WebhookReceiver
from tests.browser.conftest import BROWSER_GROUP, Account, sign_in
from tests.browser.new_user import first_session, serve, stop
from tests.inprocess import AppServer

pytestmark = BROWSER_GROUP


def test_sign_in_and_out_and_a_wrong_token_is_refused(
    page: Page, ui_server: AppServer, account: Account
) -> None:
    page.goto(ui_server.url + "/")
    expect(page).to_have_url(re.compile(r"/chinwag/ui/sign-in$"))
    page.get_by_label("Account SID or API key SID").fill(account.sid)
    page.get_by_label("Auth Token or API key secret").fill("0" * 32)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong SID or secret.")
    sign_in(page, ui_server, account)
    expect(page.get_by_text(account.sid)).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/chinwag/ui/sign-in$"))
    page.goto(ui_server.url + "/chinwag/ui/deliveries")
    expect(page).to_have_url(re.compile(r"/chinwag/ui/sign-in$"))


def test_a_conversation_made_through_twilio_python_is_listed_and_found(
    page: Page, ui_server: AppServer, account: Account
) -> None:
    made = account.client.conversations.v1.conversations.create(
        friendly_name="Order 1234", unique_name="order-1234"
    )
    sign_in(page, ui_server, account)
    expect(page.get_by_role("link", name="Order 1234")).to_be_visible()
    page.get_by_label("Search").fill("order-12")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name="Order 1234").click()
    expect(page.get_by_role("heading", name="Order 1234")).to_be_visible()
    expect(page.get_by_text(made.sid).first).to_be_visible()


def test_a_message_added_through_the_api_appears_without_reload(
    page: Page, ui_server: AppServer, account: Account
) -> None:
    conversation = account.client.conversations.v1.conversations.create(friendly_name="Live")
    conversation.messages.create(author="alice", body="first")
    sign_in(page, ui_server, account)
    page.goto(f"{ui_server.url}/chinwag/ui/conversations/{conversation.sid}")
    messages = page.locator("#messages li")
    expect(messages).to_have_count(1)
    page.evaluate("window.notReloaded = true")
    conversation.messages.create(author="bob", body="second, live")
    expect(messages).to_have_count(2)
    expect(messages.last).to_contain_text("second, live")
    assert page.evaluate("window.notReloaded") is True


def test_a_failed_webhook_is_shown_and_redelivered(
    page: Page, ui_server: AppServer, account: Account, receiver: WebhookReceiver
) -> None:
    receiver.status = 500
    receiver.body = b'{"error": "bot is down"}'
    conversation = account.client.conversations.v1.conversations.create(friendly_name="Hooked")
    webhook = conversation.webhooks.create(
        target="webhook",
        configuration_url=receiver.url + "/bot",
        configuration_filters=["onMessageAdded"],
    )
    sign_in(page, ui_server, account)
    page.goto(f"{ui_server.url}/chinwag/ui/deliveries?webhook={webhook.sid}")
    conversation.messages.create(author="alice", body="hello bot", x_twilio_webhook_enabled="true")
    failed = page.locator("#delivery-rows .badge-failed")
    expect(failed).to_have_text("failed")  # arrived live
    page.get_by_role("link", name="onMessageAdded").click()
    attempts = page.locator("#attempts tbody tr")
    expect(attempts).to_have_count(1)
    expect(attempts.first).to_contain_text("HTTP 500")
    expect(attempts.first).to_contain_text("bot is down")
    expect(page.locator("#params")).to_contain_text("hello bot")
    receiver.status = 200
    receiver.body = b"{}"
    page.get_by_role("button", name="Redeliver").click()
    expect(page.locator("#delivery-status")).to_have_text("delivered")
    expect(attempts).to_have_count(2)
    expect(attempts.last).to_contain_text("HTTP 200")
    assert [r.form["Body"] for r in receiver.wait_for(2)] == ["hello bot", "hello bot"]


def test_writing_as_a_customer_reaches_the_bot(
    page: Page, ui_server: AppServer, account: Account, receiver: WebhookReceiver
) -> None:
    account.client.conversations.v1.address_configurations.create(
        type="sms",
        address="+15559990000",
        friendly_name="Support line",
        auto_creation_enabled=True,
        auto_creation_type="webhook",
        auto_creation_webhook_url=receiver.url + "/bot",
        auto_creation_webhook_method="POST",
        auto_creation_webhook_filters=["onMessageAdded"],
    )
    sign_in(page, ui_server, account)
    page.get_by_label("From (the customer)").fill("+15550001111")
    page.get_by_label("To (your number)").fill("+15559990000")
    page.get_by_label("Body", exact=True).last.fill("Where is my order?")
    page.get_by_role("button", name="Send as customer").click()
    expect(page.locator("#messages li")).to_contain_text("Where is my order?")
    expect(page.locator("#participants")).to_contain_text("+15550001111")
    expect(page.locator("#delivery-rows .badge-delivered")).to_have_text("delivered")
    (request,) = receiver.wait_for(1)
    assert request.form["Body"] == "Where is my order?" and request.signature_valid
    page.goto(f"{ui_server.url}/chinwag/ui/configuration")
    expect(page.locator("#addresses")).to_contain_text("Support line")


def test_a_post_without_the_csrf_token_is_refused(
    page: Page, ui_server: AppServer, account: Account
) -> None:
    conversation = account.client.conversations.v1.conversations.create()
    sign_in(page, ui_server, account)
    response = page.request.post(
        f"{ui_server.url}/chinwag/ui/conversations/{conversation.sid}/messages",
        form={"Body": "forged"},
    )
    assert response.status == 403
    assert conversation.messages.list() == []


def test_another_accounts_conversation_is_404(
    page: Page, ui_server: AppServer, account: Account
) -> None:
    theirs = AppServerAccount(ui_server).create()
    sign_in(page, ui_server, account)
    response = page.goto(f"{ui_server.url}/chinwag/ui/conversations/{theirs}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()


class AppServerAccount:
    """The server's own account: someone else, for the signed-in test account."""

    def __init__(self, server: AppServer) -> None:
        from tests.conftest import Api

        self.api = Api(server)

    def create(self) -> str:
        sid: str = self.api.post("/v1/Conversations", {"FriendlyName": "secret"}).json()["sid"]
        return sid


def tiny_png() -> bytes:
    """A real 1x1 PNG, which a browser decodes (width 1)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack("!I", len(data)) + body + struct.pack("!I", zlib.crc32(body))

    header = struct.pack("!IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    pixels = zlib.compress(b"\0\xff\x00\x00")  # filter 0, one red pixel
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_a_messages_image_is_shown_and_its_other_media_linked(
    page: Page, ui_server: AppServer, account: Account
) -> None:
    conversation = account.client.conversations.v1.conversations.create(friendly_name="Media")
    media = f"/chinwag/v1/Services/{conversation.chat_service_sid}/Media"
    uploads = [("dot.png", "image/png", tiny_png()), ("report.pdf", "application/pdf", b"%PDF")]
    sids = [
        account.api.post(
            f"{media}?Filename={name}", data=content, headers={"Content-Type": kind}
        ).json()["sid"]
        for name, kind, content in uploads
    ]
    conversation.messages.create(author="alice", body="look", media_sid=sids)
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text))
    sign_in(page, ui_server, account)
    page.goto(f"{ui_server.url}/chinwag/ui/conversations/{conversation.sid}")
    image = page.get_by_role("img", name="dot.png")
    expect(image).to_be_visible()
    page.wait_for_function("i => i.complete && i.naturalWidth === 1", arg=image.element_handle())
    expect(page.get_by_role("link", name="report.pdf")).to_be_visible()
    assert not [text for text in blocked if "Content Security Policy" in text], blocked


@pytest.mark.parametrize("width", [1280, 390])
def test_the_conversation_page_works_at_desktop_and_phone_widths(
    page: Page, ui_server: AppServer, account: Account, width: int
) -> None:
    conversation = account.client.conversations.v1.conversations.create(friendly_name="Narrow")
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, ui_server, account)
    page.goto(f"{ui_server.url}/chinwag/ui/conversations/{conversation.sid}")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{overflow}px wider than a {width}px window"
    page.get_by_label("Body", exact=True).first.focus()
    page.keyboard.type("typed by keyboard")
    page.keyboard.press("Tab")  # to the webhooks box
    page.keyboard.press("Tab")  # to Send
    page.keyboard.press("Enter")
    expect(page.locator("#messages li")).to_contain_text("typed by keyboard")


@pytest.mark.slow  # a `chinwag serve` process that migrates a new database first
def test_a_new_user_follows_what_chinwag_serve_prints(page: Page, tmp_path: Path) -> None:
    """`chinwag serve` as a process, no TWILIO_* set: its printed URL and first account's
    credentials are enough to sign in, see a webhook fail, and redeliver it."""
    process, printed = serve(tmp_path)
    try:
        first_session(page, printed, shots=None)
    finally:
        stop(process)
