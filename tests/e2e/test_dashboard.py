"""The dashboard over HTTP: sign-in, the session cookie, CSRF, account isolation, paging.

The browser's view of the same pages is tests/browser/.
"""

import asyncio
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
from sqlalchemy import Connection, insert

from chinwag.domain.accounts import create_api_key
from chinwag.store import accounts as account_store
from chinwag.store.conversations import Conversation, search_conversations
from chinwag.store.database import open_database
from chinwag.store.services import get_default_service
from chinwag.store.tables import conversations
from chinwag.twilio import sids
from chinwag.twilio.dates import utc_now
from chinwag.twilio.pagination import PageRequest
from tests.conftest import Api, receiver_for
from tests.dashboard import UI, Dashboard
from tests.databases import on_database
from tests.e2e.tenants import Tenant, new_tenant
from tests.inprocess import AppServer


def session_cookie(dashboard: Dashboard) -> str:
    value = dashboard.session.cookies.get("chinwag_session")
    assert value is not None
    return value


def test_root_redirects_to_the_dashboard(app_server: AppServer) -> None:
    response = requests.get(app_server.url + "/", allow_redirects=False, timeout=10)
    assert response.status_code == 303
    assert response.headers["Location"] == "/chinwag/ui/"


def test_pages_need_a_session_and_send_others_to_sign_in(app_server: AppServer) -> None:
    response = Dashboard(app_server).get("/deliveries", allow_redirects=False)
    assert response.status_code == 303
    assert response.headers["Location"] == f"{UI}/sign-in"


def test_sign_in_sets_a_signed_http_only_strict_cookie(
    tenant: Tenant, app_server: AppServer
) -> None:
    browser = Dashboard(app_server)
    response = browser.session.post(
        f"{app_server.url}{UI}/sign-in",
        data={"username": tenant.sid, "password": tenant.auth_token},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"chinwag_session={tenant.sid}.")
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/chinwag/ui" in cookie
    assert tenant.auth_token not in cookie
    assert browser.get("/").status_code == 200


@pytest.mark.parametrize("wrong", ["password", "account"])
def test_wrong_credentials_are_refused(tenant: Tenant, app_server: AppServer, wrong: str) -> None:
    browser = Dashboard(app_server)
    username = sids.new_sid(sids.ACCOUNT) if wrong == "account" else tenant.sid
    password = "0" * 32 if wrong == "password" else tenant.auth_token
    response = browser.sign_in(username, password)
    assert response.status_code == 401
    assert "Wrong SID or secret" in response.text
    assert "chinwag_session" not in browser.session.cookies


def test_an_api_key_signs_in_to_its_account(tenant: Tenant, app_server: AppServer) -> None:
    new_key = on_database(
        app_server.database_url, lambda conn: create_api_key(conn, tenant.sid, "ui")
    )
    browser = Dashboard(app_server)
    assert browser.sign_in(new_key.key.sid, new_key.secret).status_code == 200
    assert new_key.key.sid in browser.get("/").text


def test_a_tampered_cookie_is_no_session(dashboard: Dashboard) -> None:
    cookie = session_cookie(dashboard)
    forged = cookie[:-2] + ("A" if cookie[-2] != "A" else "B") + cookie[-1]
    dashboard.session.cookies.set("chinwag_session", forged, path="/chinwag/ui")
    response = dashboard.get("/", allow_redirects=False)
    assert response.status_code == 303


def test_a_cookie_moved_to_another_account_is_no_session(
    dashboard: Dashboard, app_server: AppServer
) -> None:
    """The username in front of the signed part picks the key: another SID fails the check."""
    other = new_tenant(app_server, "other")
    _, signed = session_cookie(dashboard).split(".", 1)
    dashboard.session.cookies.set("chinwag_session", f"{other.sid}.{signed}", path="/chinwag/ui")
    assert dashboard.get("/", allow_redirects=False).status_code == 303


def test_a_new_auth_token_ends_the_sessions_signed_with_the_old(
    dashboard: Dashboard, tenant: Tenant, app_server: AppServer
) -> None:
    on_database(
        app_server.database_url,
        lambda conn: account_store.set_auth_token(conn, tenant.sid, "f" * 32),
    )
    assert dashboard.get("/", allow_redirects=False).status_code == 303


def test_sign_out_ends_the_session(dashboard: Dashboard) -> None:
    response = dashboard.post("/sign-out", {})
    assert response.url.endswith(f"{UI}/sign-in")
    assert dashboard.get("/", allow_redirects=False).status_code == 303


def test_posts_without_the_sessions_csrf_token_are_refused(
    dashboard: Dashboard, tenant: Tenant, app_server: AppServer
) -> None:
    conversation = tenant.api.post("/v1/Conversations", {}).json()["sid"]
    path = f"/conversations/{conversation}/messages"
    assert dashboard.post(path, {"Body": "no token"}, csrf=False).status_code == 403
    wrong = {"Body": "wrong token", "csrf_token": "x" * 32}
    assert dashboard.post(path, wrong, csrf=False).status_code == 403
    other = Dashboard(app_server)  # another session of the same account: its own token
    other.sign_in(tenant.sid, tenant.auth_token)
    foreign = {"Body": "another session's token", "csrf_token": other.csrf()}
    assert dashboard.post(path, foreign, csrf=False).status_code == 403
    assert dashboard.post("/sign-out", {}, csrf=False).status_code == 403
    assert dashboard.post(path, {"Body": "with the token"}).status_code == 200
    bodies = [
        m["body"]
        for m in tenant.api.get(f"/v1/Conversations/{conversation}/Messages").json()["messages"]
    ]
    assert bodies == ["with the token"]


def test_another_accounts_conversation_and_delivery_are_404(
    dashboard: Dashboard, app_server: AppServer, api: Api
) -> None:
    theirs = api.post("/v1/Conversations", {"FriendlyName": "not yours"}).json()["sid"]
    assert dashboard.get(f"/conversations/{theirs}").status_code == 404
    assert dashboard.get(f"/conversations/{theirs}/events").status_code == 404
    posted = dashboard.post(f"/conversations/{theirs}/messages", {"Body": "intrusion"})
    assert posted.status_code == 404
    assert api.get(f"/v1/Conversations/{theirs}/Messages").json()["messages"] == []
    assert "not yours" not in dashboard.get("/", params={"q": theirs}).text
    assert dashboard.get("/deliveries/00000000-0000-0000-0000-000000000000").status_code == 404


def test_the_list_searches_by_name_unique_name_and_sid(
    dashboard: Dashboard, tenant: Tenant
) -> None:
    made = tenant.api.post(
        "/v1/Conversations", {"FriendlyName": "Support 42", "UniqueName": "ticket-42"}
    )
    sid = made.json()["sid"]
    tenant.api.post("/v1/Conversations", {"FriendlyName": "Sales"})
    for query in ("support", "TICKET-4", sid):
        page = dashboard.get("/", params={"q": query}).text
        assert sid in page and "Sales" not in page, query
    assert "No conversations match" in dashboard.get("/", params={"state": "closed"}).text


def test_a_message_sent_from_the_dashboard_is_in_the_api(
    dashboard: Dashboard, tenant: Tenant
) -> None:
    conversation = tenant.api.post("/v1/Conversations", {}).json()["sid"]
    page = dashboard.post(
        f"/conversations/{conversation}/messages", {"Author": "agent", "Body": "hello"}
    )
    assert page.status_code == 200 and "hello" in page.text
    (message,) = tenant.api.get(f"/v1/Conversations/{conversation}/Messages").json()["messages"]
    assert (message["author"], message["body"]) == ("agent", "hello")


def test_a_conversation_page_names_each_participants_role(
    dashboard: Dashboard, tenant: Tenant
) -> None:
    conversation = tenant.client.conversations.v1.conversations.create()
    roles = {r.friendly_name: r.sid for r in tenant.client.conversations.v1.roles.list()}
    conversation.participants.create(identity="agent", role_sid=roles["channel admin"])
    conversation.participants.create(identity="customer")
    page = dashboard.get(f"/conversations/{conversation.sid}").text
    rows = re.findall(r"<tr>\s*<td>chat</td>\s*<td>(\w+)</td>(?:.|\n)*?</tr>", page)
    assert rows == ["agent", "customer"]
    assert re.search(r"<td>agent</td>(?:(?!</tr>).|\n)*<td>channel admin</td>", page)
    assert re.search(r"<td>customer</td>(?:(?!</tr>).|\n)*<td>channel user</td>", page)


def test_an_inbound_message_without_a_route_comes_back_as_a_notice(dashboard: Dashboard) -> None:
    page = dashboard.post("/inbound", {"From": "+15550001111", "To": "+15559990000", "Body": "hi"})
    assert page.status_code == 200
    assert "No open conversation holds the pair" in page.text


def test_the_event_stream_sends_new_messages_with_their_index(
    dashboard: Dashboard, tenant: Tenant
) -> None:
    conversation = tenant.api.post("/v1/Conversations", {}).json()["sid"]
    tenant.api.post(f"/v1/Conversations/{conversation}/Messages", {"Body": "seen"})
    stream = dashboard.get(f"/conversations/{conversation}/events?after=0", stream=True)
    try:
        assert stream.headers["Content-Type"] == "text/event-stream"
        tenant.api.post(f"/v1/Conversations/{conversation}/Messages", {"Body": "new one"})
        lines = stream.iter_lines(decode_unicode=True)
        seen = []
        for line in lines:
            seen.append(line)
            if "new one" in line:
                break
        assert "event: message" in seen and "id: 1" in seen
        assert not any("seen" in line for line in seen)
    finally:
        stream.close()


SERVICE_CONVERSATIONS = 10_000


@pytest.fixture
def crowded(database_url: str) -> Iterator[tuple[str, str]]:
    """A database with 10,000 conversations in one account's default service."""
    account = on_database(database_url, lambda conn: _account(conn))
    started = utc_now()

    def fill(conn: Connection) -> str:
        service = get_default_service(conn, account)
        assert service is not None
        rows = [
            {
                "sid": sids.new_sid(sids.CONVERSATION),
                "account_sid": account,
                "service_sid": service.sid,
                "unique_name": f"u-{number}",
                "friendly_name": f"Customer {number}",
                "attributes": "{}",
                "state": "closed" if number % 10 == 0 else "active",
                "date_created": started + timedelta(milliseconds=number),
                "date_updated": started + timedelta(milliseconds=number),
            }
            for number in range(SERVICE_CONVERSATIONS)
        ]
        conn.execute(insert(conversations), rows)  # one statement: seconds, not minutes
        return service.sid

    yield database_url, on_database(database_url, fill)


def _account(conn: Connection) -> str:
    from chinwag.domain.accounts import create_account

    return create_account(conn, "crowded").sid


def test_ten_thousand_conversations_page_by_keyset(crowded: tuple[str, str]) -> None:
    """Every page the list shows, first or deep, filtered or searched, is the right one:
    keyset paging on the (service_sid, id) index (its speed is a benchmark's business,
    docs/benchmarks.md "Other measurements", not a test's)."""
    url, service = crowded

    def page(text: str | None, state: str | None, request: PageRequest) -> list[Conversation]:
        async def run() -> list[Conversation]:
            database = open_database(url)
            try:
                found = await database.read(search_conversations, service, text, state, request)
                return found.rows
            finally:
                await database.close()

        return asyncio.run(run())

    first = page(None, None, PageRequest(50, 0))
    assert [c.friendly_name for c in first[:2]] == ["Customer 9999", "Customer 9998"]
    deep = page(None, None, PageRequest(50, 0, after_id=200))  # near the end
    assert len(deep) == 50 and deep[0].friendly_name == "Customer 198"
    closed = page(None, "closed", PageRequest(50, 0))
    assert all(c.state == "closed" for c in closed) and len(closed) == 50
    found = page("customer 4242", None, PageRequest(50, 0))
    assert [c.unique_name for c in found] == ["u-4242"]


def test_a_dashboard_message_asks_the_pre_event_webhook_only_with_webhooks_on(
    dashboard: Dashboard, tenant: Tenant
) -> None:
    with receiver_for(Credentials(tenant)) as receiver:
        service = tenant.api.post("/v1/Services", {"FriendlyName": "guarded"}).json()["sid"]
        root = f"/v1/Services/{service}"
        hooks = {"PreWebhookUrl": receiver.url + "/pre", "Filters": "onMessageAdd"}
        tenant.api.post(f"{root}/Configuration/Webhooks", hooks)
        conversation = tenant.api.post(f"{root}/Conversations", {}).json()["sid"]
        send = f"/conversations/{conversation}/messages"

        receiver.body = b'{"body": "[redacted]"}'
        dashboard.post(send, {"Author": "bob", "Body": "my card is 4111", "Webhooks": "on"})
        asked = receiver.wait_for(1)[0]
        assert (asked.form["EventType"], asked.form["Body"]) == ("onMessageAdd", "my card is 4111")
        receiver.body, receiver.status = b"", 403
        refused = dashboard.post(send, {"Body": "spam", "Webhooks": "on"})
        assert "pre-event webhook rejected onMessageAdd" in refused.text
        dashboard.post(send, {"Body": "unguarded"})  # box unticked: not asked
        assert len(receiver.requests) == 2
        listed = tenant.api.get(f"{root}/Conversations/{conversation}/Messages").json()
        assert [m["body"] for m in listed["messages"]] == ["[redacted]", "unguarded"]


class Credentials:
    """What `receiver_for` needs of a server: the account whose token signs webhooks."""

    def __init__(self, tenant: Tenant) -> None:
        self.url, self.account_sid, self.auth_token = "", tenant.sid, tenant.auth_token
