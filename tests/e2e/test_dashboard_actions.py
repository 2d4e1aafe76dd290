"""The dashboard's actions beyond sending: redelivering, writing as a customer, signing in
twice; each answers with the page it lands on, or a notice there (ui/actions.py)."""

import time
from urllib.parse import unquote

import pytest

from chinwag.testing import twilio_client
from tests.conftest import app_and_receiver
from tests.dashboard import UI, Dashboard
from tests.e2e.tenants import Tenant
from tests.inprocess import AppServer

REFUSED = "http://127.0.0.1:9/hook"  # nothing listens on the discard port: connection refused


def notice(response: object) -> str:
    url: str = response.url  # type: ignore[attr-defined]
    return unquote(url.partition("?notice=")[2])


def test_the_sign_in_page_sends_a_signed_in_visitor_home(dashboard: Dashboard) -> None:
    response = dashboard.get("/sign-in", allow_redirects=False)
    assert response.status_code == 303 and response.headers["Location"] == f"{UI}/"


def test_writing_as_a_customer_opens_the_conversation_it_lands_in(
    dashboard: Dashboard, tenant: Tenant
) -> None:
    business = "+15557651111"
    tenant.client.conversations.v1.address_configurations.create(
        type="sms", address=business, auto_creation_enabled=True, auto_creation_type="default"
    )
    page = dashboard.post("/inbound", {"From": "+15550002222", "To": business, "Body": "hi"})

    [conversation] = tenant.client.conversations.v1.conversations.list()
    assert page.status_code == 200 and page.url.endswith(f"{UI}/conversations/{conversation.sid}")
    assert [m.body for m in conversation.messages.list()] == ["hi"]


def test_a_refused_customer_message_goes_back_only_to_a_dashboard_page(
    dashboard: Dashboard,
) -> None:
    written = {"From": "+15550003333", "To": "+15559990001", "Body": "hi"}
    for back, landing in [
        ("https://elsewhere.test/phish", f"{UI}/"),
        ("/v1/Conversations", f"{UI}/"),
        (f"{UI}/deliveries", f"{UI}/deliveries"),
    ]:
        page = dashboard.post("/inbound", {**written, "back": back})
        assert page.url.partition("?")[0].endswith(landing), (back, page.url)
        assert "No open conversation holds the pair" in notice(page)


def test_redelivering_an_unknown_delivery_is_404(dashboard: Dashboard) -> None:
    token = "00000000-0000-0000-0000-000000000000"
    response = dashboard.post(f"/deliveries/{token}/redeliver", {})
    assert response.status_code == 404 and f"Delivery {token} was not found." in response.text


def test_redelivering_failed_deliveries_needs_a_webhook_or_a_conversation(
    dashboard: Dashboard,
) -> None:
    page = dashboard.post("/deliveries/redeliver-failed", {})
    assert page.url.partition("?")[0].endswith(f"{UI}/deliveries")
    assert notice(page) == "Choose a webhook or a conversation."


def test_a_conversations_failed_deliveries_are_queued_again(database_url: str) -> None:
    # One attempt only: a delivery to a refused target fails at once.
    with app_and_receiver(database_url, retry_schedule=()) as (server, _):
        client = twilio_client(server)
        conversation = client.conversations.v1.conversations.create()
        conversation.webhooks.create(
            target="webhook", configuration_url=REFUSED, configuration_filters=["onMessageAdded"]
        )
        conversation.messages.create(body="to a refused hook", x_twilio_webhook_enabled="true")
        dashboard = Dashboard(server)
        assert dashboard.sign_in(server.account_sid, server.auth_token).status_code == 200
        path = "/deliveries/redeliver-failed"
        asked = {"ConversationSid": conversation.sid}

        deadline = time.monotonic() + 20
        while "1 failed deliveries" not in notice(page := dashboard.post(path, asked)):
            assert time.monotonic() < deadline, "the delivery never failed: " + notice(page)
            time.sleep(0.05)

        assert page.url.partition("?")[0].endswith(f"{UI}/conversations/{conversation.sid}")
        assert notice(page) == "1 failed deliveries queued again."
        other = {"ConversationSid": "CH" + "0" * 32}
        assert notice(dashboard.post(path, other)) == "0 failed deliveries queued again."


def test_the_configuration_page_shows_the_accounts_webhooks_and_addresses(
    dashboard: Dashboard, tenant: Tenant
) -> None:
    assert "No address configurations." in dashboard.get("/configuration").text
    service = tenant.client.conversations.v1.services.create(friendly_name="Help desk")
    service.configuration.webhooks().update(
        post_webhook_url="https://hooks.test/post", method="POST", filters=["onMessageAdded"]
    )
    tenant.client.conversations.v1.address_configurations.create(
        type="sms", address="+15557652222", friendly_name="Front desk"
    )

    page = dashboard.get("/configuration")

    assert page.status_code == 200
    assert "Help desk" in page.text and service.sid in page.text
    assert "https://hooks.test/post" in page.text and "onMessageAdded" in page.text
    assert "+15557652222" in page.text and "Front desk" in page.text
    assert "No address configurations." not in page.text


@pytest.mark.parametrize("username", ["", "   ", "AC.dotted"])
def test_a_username_that_cannot_name_a_cookie_is_refused(
    app_server: AppServer, username: str
) -> None:
    # The cookie is "<username>.<signed payload>": a username with a dot could not be read back.
    browser = Dashboard(app_server)
    response = browser.sign_in(username, "secret")
    assert response.status_code == 401 and "Wrong SID or secret" in response.text
    assert "chinwag_session" not in browser.session.cookies


@pytest.mark.parametrize("username", ["alice", "AC" + "0" * 32, "SK" + "0" * 32])
def test_a_cookie_naming_no_known_account_or_key_is_no_session(
    dashboard: Dashboard, username: str
) -> None:
    cookie = dashboard.session.cookies.get("chinwag_session")
    assert cookie is not None
    _, _, signed = cookie.partition(".")
    dashboard.session.cookies.set("chinwag_session", f"{username}.{signed}", path="/chinwag/ui")
    response = dashboard.get("/", allow_redirects=False)
    assert response.status_code == 303 and response.headers["Location"].endswith("/sign-in")
