"""One Chromium and one in-process chinwag for the browser tests, shared.

Module-scoped, and the browser tests are one module: Playwright's sync API keeps an
event loop running on the main thread while it is started, which would break tests
of other modules that run their own (`asyncio.run`) on the same xdist worker.

Each test gets a fresh browser context (its own cookies) and, through `account`, an
account of its own on the shared server, so tests see only their own data.
"""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from twilio.rest import Client

from chinwag.domain.accounts import create_account
from chinwag.store.migrate import upgrade
from chinwag.testing import WebhookReceiver, twilio_client
from tests.browser.chromium import HOW_TO_INSTALL, LAUNCH_ARGS, ensure_chromium
from tests.conftest import Api
from tests.databases import on_database
from tests.inprocess import AppServer

# Every browser test runs on one xdist worker: one Chromium for them all.
BROWSER_GROUP = pytest.mark.xdist_group("browser")


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    executable = ensure_chromium()
    if executable is None:
        pytest.fail(HOW_TO_INSTALL, pytrace=False)
    launched = playwright.chromium.launch(
        executable_path=str(executable), args=LAUNCH_ARGS, headless=True
    )
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """SQLite: the dashboard's queries go through the store, which the rest of the suite
    covers on both engines. One attempt per delivery, so a failure stays failed."""
    url = f"sqlite:///{tmp_path_factory.mktemp('ui') / 'ui.db'}"
    upgrade(url)
    server = AppServer(url)
    server.settings = replace(server.settings, retry_schedule=(), receipt_delay=0.0)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class Account:
    sid: str
    auth_token: str
    api: Api
    client: Client


@pytest.fixture
def account(ui_server: AppServer) -> Account:
    """A fresh account of the test's own on the shared server."""
    # In a thread: Playwright's sync API keeps an event loop running on this one.
    with ThreadPoolExecutor(1) as thread:
        made = thread.submit(
            on_database, ui_server.database_url, lambda conn: create_account(conn, "browser")
        ).result()
    return Account(
        made.sid,
        made.auth_token,
        Api(ui_server, (made.sid, made.auth_token)),
        twilio_client(ui_server, made.sid, made.auth_token),
    )


@pytest.fixture
def receiver(account: Account) -> Iterator[WebhookReceiver]:
    started = WebhookReceiver(account.auth_token).start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    fresh = browser.new_context(viewport={"width": 1280, "height": 900})
    fresh.set_default_timeout(10_000)
    try:
        yield fresh
    finally:
        fresh.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def sign_in(page: Page, server: AppServer, account: Account) -> None:
    page.goto(server.url + "/")
    page.get_by_label("Account SID or API key SID").fill(account.sid)
    page.get_by_label("Auth Token or API key secret").fill(account.auth_token)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Conversations").wait_for()
