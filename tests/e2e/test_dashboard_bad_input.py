"""The dashboard's bad input: the review's cases, the live streams' bound, then fuzzing.

The REST API has Twilio's document to fuzz against (test_fuzz.py) and a hand-made corpus
(test_bad_input.py); the dashboard has neither, so Hypothesis draws its requests here.
Every dashboard route (`UI_ROUTES`), signed in, gets generated query strings, form
fields (URL-encoded, multipart or raw bytes), path segments and the headers a browser
sends (`Last-Event-ID`, `Cookie`, `Origin`, `Referer`): Unicode digits ("²", Arabic-Indic
ones), control characters (CR, LF, DEL), numbers past int64 and past what int() reads
at once, paths to other sites, empty values, bytes that are not UTF-8. Each request
must get an answer (not a dropped connection), no 5xx, no traceback, no redirect off
the site, and no unhandled error in the server's log.

A case breaks at most one of the things that refuse a whole request (the cookie, the
CSRF token, a body or query string that is not UTF-8, a NUL), and most break none, so
that they reach every other read of the handler. Each route runs `MAX_EXAMPLES` cases,
derandomized (the same cases every run). At 25 it missed `?after=²` put back as it
was; at 50 it finds each of the review's bugs put back (the list cursors, the stream's
Last-Event-ID, CR/LF in `back=`) and a CSRF token compared as non-ASCII text, in some
13 s per engine.

The module has a server of its own per engine: sign-in failures get the client refused
for a while (domain/auth_failures.py) and sign-out ends its session, which must not
reach the shared server's other tests; every session the module needs is signed in
before any test runs. An event stream's answer is its status and headers; it is closed
at once.
"""

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_from_bytes, urlencode

import pytest
import requests
from aiohttp.http_exceptions import HttpProcessingError
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from chinwag.config import Settings
from chinwag.ui.live import MAX_STREAMS_PER_SESSION
from chinwag.ui.routes import PREFIX, UI_ROUTES
from tests.conftest import Api, wait_until
from tests.dashboard import Dashboard
from tests.databases import Databases
from tests.e2e.tenants import Tenant, new_tenant
from tests.inprocess import AppServer

MAX_EXAMPLES = 50
# Sessions signed in ahead: one per fuzzed sign-out, and one per test that opens streams.
SPARE_SESSIONS = MAX_EXAMPLES + 10
# A redirect stays on this site: one "/", then printable ASCII without space or backslash.
ON_SITE = re.compile(r"/(?!/)[!-\[\]-~]*")
TRACEBACK = ("Traceback (most recent call last)", 'File "/')
SERVER_LOGS = ("chinwag.app", "aiohttp.server", "aiohttp.web")  # where an unhandled error goes
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # but tab


@dataclass(frozen=True)
class Browser:
    """A signed-in session: its cookie jar, its cookie, and its forms' CSRF token."""

    dashboard: Dashboard
    cookie: str
    csrf: str


@dataclass
class Site:
    """A server of the module's own, an account on it, what its paths name, and sessions
    signed in ahead for the tests that end or crowd one (sign-out, the stream bound)."""

    server: AppServer
    tenant: Tenant
    browser: Browser
    conversation: str
    delivery: str
    medium: str  # of a message of `conversation`
    spare: list[Browser]

    @property
    def dashboard(self) -> Dashboard:
        return self.browser.dashboard

    def fresh_session(self) -> Browser:
        """A signed-in session of its own (one signed out once they are used up)."""
        return self.spare.pop() if self.spare else Browser(Dashboard(self.server), "", "")


def signed_in(server: AppServer, tenant: Tenant) -> Browser:
    dashboard = Dashboard(server)
    assert dashboard.sign_in(tenant.sid, tenant.auth_token).status_code == 200
    cookie = dashboard.session.cookies.get("chinwag_session")
    assert cookie is not None
    return Browser(dashboard, cookie, dashboard.csrf())


def conversation_with_a_delivery(api: Api) -> tuple[str, str]:
    """A conversation with a message whose webhook is queued: its SID and the delivery's."""
    conversation = api.post("/v1/Conversations", {"FriendlyName": "fuzzed"}).json()["sid"]
    chat = f"/v1/Conversations/{conversation}"
    webhook = {
        "Target": "webhook",
        "Configuration.Url": "http://127.0.0.1:9/fuzzed",  # never sent: no worker
        "Configuration.Filters": "onMessageAdded",
    }
    assert api.post(f"{chat}/Webhooks", webhook).status_code == 201
    enabled = {"X-Twilio-Webhook-Enabled": "true"}
    assert api.post(f"{chat}/Messages", {"Body": "fuzzed"}, headers=enabled).status_code == 201
    (delivery,) = api.get("/chinwag/v1/Deliveries").json()["deliveries"]
    return conversation, delivery["sid"]


def a_message_medium(api: Api, conversation: str) -> str:
    """The SID of a medium of a new message of the conversation (no webhook fires)."""
    service = api.get(f"/v1/Conversations/{conversation}").json()["chat_service_sid"]
    upload = api.post(
        f"/chinwag/v1/Services/{service}/Media", b"GIF89a", headers={"Content-Type": "image/gif"}
    )
    sid: str = upload.json()["sid"]
    added = api.post(f"/v1/Conversations/{conversation}/Messages", {"MediaSid": sid})
    assert added.status_code == 201, added.text
    return sid


@pytest.fixture(scope="module")
def site(databases: Databases) -> Iterator[Site]:
    # No worker: the deliveries stay pending, and no webhook is sent anywhere.
    server = AppServer(databases.new(), Settings(run_worker=False)).start()
    try:
        tenant = new_tenant(server, "fuzzed")
        browser = signed_in(server, tenant)
        conversation, delivery = conversation_with_a_delivery(tenant.api)
        medium = a_message_medium(tenant.api, conversation)
        spare = [signed_in(server, tenant) for _ in range(SPARE_SESSIONS)]
        yield Site(server, tenant, browser, conversation, delivery, medium, spare)
    finally:
        server.stop()


def stream(dashboard: Dashboard, path: str, **headers: str) -> requests.Response:
    return dashboard.get(path, stream=True, headers=headers, allow_redirects=False)


# The review's cases (a 500 or a dropped connection before they were fixed) and their
# neighbours.


@pytest.mark.parametrize("after", ["%C2%B2", "%D9%A1", "9" * 5000, str(2**31), "-1", "%00"])
@pytest.mark.parametrize("page", ["/", "/deliveries"])
def test_a_list_cursor_that_is_no_number_is_no_cursor(site: Site, page: str, after: str) -> None:
    response = site.dashboard.get(f"{page}?after={after}&before={after}")
    if after == "%00":  # PostgreSQL text holds no NUL: refused, as by the REST API
        assert response.status_code == 400
        assert response.headers["Content-Type"].startswith("text/plain")
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("resume", ["9" * 5000, "²", "-²", str(2**31), "-1", ""])
def test_a_stream_resumes_only_from_an_event_id_it_could_have_sent(site: Site, resume: str) -> None:
    browser, path = site.fresh_session().dashboard, f"/conversations/{site.conversation}/events"
    for answer in (
        stream(browser, path, **{"Last-Event-ID": resume.encode().decode("latin-1")}),
        stream(browser, f"{path}?after={quote(resume)}"),
    ):
        answer.close()
        assert answer.status_code == 200
        assert answer.headers["Content-Type"] == "text/event-stream"


@pytest.mark.parametrize(
    "back",
    [
        "/chinwag/ui/\r\nSet-Cookie: stolen=1",
        "//evil.example/chinwag/ui/",
        "/\\evil.example",
        "https://evil.example/chinwag/ui/",
        "/chinwag/ui/ x",
        "/elsewhere",
    ],
)
def test_a_back_path_off_the_dashboard_falls_back_to_it(site: Site, back: str) -> None:
    unrouted = {"From": "+15550001111", "To": "+15559990000", "Body": "hi", "back": back}
    response = site.dashboard.session.post(
        f"{site.dashboard.base}{PREFIX}/inbound",
        data={**unrouted, "csrf_token": site.browser.csrf},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"{PREFIX}/?notice=")
    assert "stolen" not in response.headers.get("Set-Cookie", "")


def test_a_conversation_sid_with_a_newline_stays_in_the_redirect_path(site: Site) -> None:
    form = {"ConversationSid": "CH\r\nSet-Cookie: stolen=1", "csrf_token": site.browser.csrf}
    response = site.dashboard.session.post(
        f"{site.dashboard.base}{PREFIX}/deliveries/redeliver-failed",
        data=form,
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"{PREFIX}/conversations/CH%0D%0ASet-Cookie")


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", b"Body=\xff"),
        ("application/x-www-form-urlencoded; charset=latin-1", b"Body=x"),
        ("multipart/form-data", b"no boundary"),
        ("multipart/form-data; boundary=x", b"--x\r\nbroken"),
    ],
)
def test_a_body_that_is_no_utf_8_form_is_a_plain_400(
    site: Site, content_type: str, body: bytes
) -> None:
    for path in (f"/conversations/{site.conversation}/messages", "/sign-in"):
        response = site.dashboard.session.post(
            f"{site.dashboard.base}{PREFIX}{path}",
            data=body,
            headers={"Content-Type": content_type},
            timeout=10,
        )
        assert response.status_code == 400, path
        assert response.headers["Content-Type"].startswith("text/plain")


def test_a_cookie_that_is_no_utf_8_is_no_session(site: Site) -> None:
    broken = f"chinwag_session={site.tenant.sid}.\xff"  # sent as the byte 0xFF
    response = requests.get(
        f"{site.dashboard.base}{PREFIX}/",
        headers={"Cookie": broken},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"{PREFIX}/sign-in"


def test_a_session_holds_at_most_eight_streams_and_the_ninth_is_429(site: Site) -> None:
    mine, other = site.fresh_session().dashboard, site.fresh_session().dashboard
    path = f"/conversations/{site.conversation}/events"
    opened = [stream(mine, path) for _ in range(MAX_STREAMS_PER_SESSION)]
    try:
        assert [each.status_code for each in opened] == [200] * MAX_STREAMS_PER_SESSION
        refused = stream(mine, path)
        refused.close()
        assert refused.status_code == 429
        another = stream(other, path)  # another session has its own streams
        another.close()
        assert another.status_code == 200
    finally:
        for each in opened:
            each.close()

    def opens_again() -> bool:  # each closed stream frees its place within a second
        answer = stream(mine, path)
        answer.close()
        return answer.status_code == 200

    wait_until(opens_again, timeout=5, what="a stream after the others closed")


# Fuzzing.

# Numbers as a parser may misread them: Unicode digits that str.isdigit() takes (int()
# refuses "²" and "①", reads "١٢٣" as 123), signs, spaces, separators, and sizes past
# int32, int64 and the 4,300 digits int() reads at once.
# "²", Arabic-Indic "123", a mathematical bold 9, "①", "1²":
UNICODE_NUMBERS = ["\u00b2", "\u0661\u0662\u0663", "\U0001d7d7", "\u2460", "1\u00b2"]
NUMBER_TRAPS = ["0", "-1", *UNICODE_NUMBERS, "1_0", "1e3", "+1", " 1", "0x1"]
NUMBER_TRAPS += [str(2**31), str(2**63), "9" * 19, "9" * 5000, "-" + "9" * 5000]
# Paths a redirect must not follow: CR/LF to start a header, other hosts, spaces.
PATH_TRAPS = ["/chinwag/ui/\r\nSet-Cookie: a=b", "/chinwag/ui/\nX: 1", "//evil.example/"]
PATH_TRAPS += ["/\\evil.example", "https://evil.example/", "javascript:x", "/chinwag/ui/ x"]
# Text a page or the database may mishandle (a NUL is one of the poisons, below).
TEXT_TRAPS = ["", " ", "\t", "\x7f\x1b[31m", "\u2028\ufeff", "é" * 300, "%00%0d%0a"]
TEXT_TRAPS += ["../../", "<script>x</script>", "{{ 7 * 7 }}", *PATH_TRAPS]
# Any text UTF-8 can say, but control characters: those come from the traps.
TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=40)
# Digits str.isdigit() takes but int() does not ("²", "①", "፩"), in the BMP.
NOT_DECIMAL = "".join(c for c in map(chr, range(0x10000)) if c.isdigit() and not c.isdecimal())
DIGIT = st.one_of(
    st.sampled_from("0123456789"), st.sampled_from(NOT_DECIMAL), st.characters(categories=["Nd"])
)
DIGITS = st.text(DIGIT, min_size=1, max_size=12)  # "1²", Arabic-Indic, Devanagari ...
NUMBERS = st.integers(min_value=-(10**30), max_value=10**30).map(str)
BYTES = st.binary(max_size=24)  # UTF-8 or not
VALUES = st.one_of(st.sampled_from(NUMBER_TRAPS), st.sampled_from(TEXT_TRAPS), TEXT, DIGITS)
# Where a value is read as a number or a path, mostly what trips a number or a path.
NUMBER_LIKE = st.one_of(st.sampled_from(NUMBER_TRAPS), DIGITS, NUMBERS, TEXT)
PATH_LIKE = st.one_of(st.sampled_from(PATH_TRAPS), VALUES)
READ_AS = {"after": NUMBER_LIKE, "before": NUMBER_LIKE, "back": PATH_LIKE}
READ_AS |= {"ConversationSid": PATH_LIKE, "Last-Event-ID": NUMBER_LIKE}

QUERY_NAMES = ["after", "before", "q", "state", "service", "notice"]
QUERY_NAMES += ["webhook", "conversation", "event", "status"]
# Every field a dashboard form posts (MediaUrl aside: it would be fetched).
FORM_NAMES = ["Author", "Body", "Webhooks", "From", "To", "back", "WebhookSid"]
FORM_NAMES += ["ConversationSid", "username", "password"]
HEADER_NAMES = ["Last-Event-ID", "Origin", "Referer"]
CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=latin-1",
    "multipart/form-data",
    "multipart/form-data; boundary=x",
    "text/plain",
    "application/json",
]
# What a case's cookie header does with the session's cookie; the drawn value follows.
COOKIES = {
    "replaced": "chinwag_session=",
    "extended": "chinwag_session={cookie}",
    "re-signed": "chinwag_session={account}.",
    "beside another": "chinwag_session={cookie}; other=",
    "raw": "",
}
# What refuses a whole request before the handler reads the rest. A case has at most one:
# most have none, so that they reach every read of the handler.
POISONS = ["cookie", "CSRF token", "raw body", "NUL", "raw query"]
CLEAN = "clean"
Pairs = tuple[tuple[str, Any], ...]  # (name, value), in order, names may repeat


def header_value(value: str | bytes) -> str:
    """`value` on the wire, text as UTF-8 (requests sends header values as Latin-1, byte
    for byte), less what a browser cannot send (control characters; aiohttp's parser
    refuses them with a 400 of its own) and requests will not (leading spaces)."""
    raw = value if isinstance(value, bytes) else value.encode()
    return CONTROL.sub("", raw.decode("latin-1")).lstrip()


@dataclass(frozen=True)
class Case:
    """One request to a route: a path, parameters where the route reads them, browser
    headers, and one poison or none (`drawn` is what the poison puts in)."""

    path: str
    query: Pairs
    fields: Pairs
    headers: Pairs  # values text or bytes
    multipart: bool
    poison: str
    drawn: str | bytes
    how: str  # the cookie's poison (`COOKIES`)
    content_type: str  # the raw body's

    def url(self, base: str) -> str:
        query = urlencode(self.query)
        if self.poison == "NUL":
            query += f"&{quote(self.query[0][0] if self.query else 'q')}=a%00b"
        if self.poison == "raw query":
            query += f"&after={quote_from_bytes(self._bytes())}"
        return f"{base}{PREFIX}{self.path}?{query}"

    def arguments(self, method: str, browser: Browser, account: str) -> dict[str, Any]:
        headers = {name: header_value(value) for name, value in self.headers}
        if self.poison == "cookie":
            start = COOKIES[self.how].format(cookie=browser.cookie, account=account)
            headers["Cookie"] = start + header_value(self.drawn)
        if method != "POST":
            return {"headers": headers}
        token = self._bytes().decode("latin-1") if self.poison == "CSRF token" else browser.csrf
        fields = [*self.fields, ("csrf_token", token)]
        if self.poison == "NUL":
            fields.append((self.fields[0][0] if self.fields else "Body", "a\x00b"))
        if self.poison == "raw body":
            headers["Content-Type"] = self.content_type
            data = urlencode(fields).encode() + b"&" + self._bytes()
            return {"headers": headers, "data": data}
        if self.multipart:
            parts = [(name, (None, value.encode())) for name, value in fields]
            return {"headers": headers, "files": parts}
        return {"headers": headers, "data": fields}

    def _bytes(self) -> bytes:
        return self.drawn if isinstance(self.drawn, bytes) else self.drawn.encode()


def parameters(
    names: list[str], values: st.SearchStrategy[Any] = VALUES, others: int = 2
) -> st.SearchStrategy[Pairs]:
    """Some of `names`, each drawn as it is read (`READ_AS`), and up to `others` more of
    drawn names."""
    known = st.lists(st.sampled_from(names), unique=True).flatmap(
        lambda chosen: st.tuples(*(st.tuples(st.just(n), READ_AS.get(n, values)) for n in chosen))
    )
    more = st.lists(st.tuples(TEXT, values), max_size=others)
    return st.tuples(known, more).map(lambda drawn: (*drawn[0], *drawn[1]))


def paths(site: Site, template: str) -> st.SearchStrategy[str]:
    """The route's path with each `{...}` the fixture's SID or token, or drawn text or
    bytes (percent-encoded: yarl keeps what is not UTF-8 encoded, as `%FF`)."""
    real = {"ConversationSid": site.conversation, "Token": site.delivery, "MediaSid": site.medium}
    names = re.findall(r"\{(\w+)\}", template)
    drawn = st.one_of(
        VALUES.map(lambda text: quote(text, safe="")),
        BYTES.map(lambda raw: quote_from_bytes(raw, safe="")),
    )
    # The fixture's first: Hypothesis draws the first of a sampled list more often.
    segments = [
        st.sampled_from([real[name], None]).flatmap(
            lambda known: st.just(known) if known else drawn
        )
        for name in names
    ]

    def filled(values: tuple[str, ...]) -> str:
        path = template
        for name, value in zip(names, values, strict=True):
            path = path.replace(f"{{{name}}}", value)
        return path

    return st.tuples(*segments).map(filled)


def cases(site: Site, template: str) -> st.SearchStrategy[Case]:
    origins = [site.server.url, "null", "http://evil.example", f"{site.server.url}{PREFIX}/"]
    header_values = st.one_of(st.sampled_from(origins), VALUES, BYTES)
    return st.builds(
        Case,
        path=paths(site, template),
        query=parameters(QUERY_NAMES),
        fields=parameters(FORM_NAMES),
        headers=parameters(HEADER_NAMES, header_values, others=0),
        multipart=st.booleans(),
        # Clean first and as often as the poisons together.
        poison=st.sampled_from([CLEAN] * len(POISONS) + POISONS),
        drawn=st.one_of(VALUES, BYTES),
        how=st.sampled_from(sorted(COOKIES)),
        content_type=st.sampled_from(CONTENT_TYPES),
    )


def check(response: requests.Response) -> None:
    """An answer, no 5xx, no traceback, and a redirect only to a path on this site."""
    try:
        assert response.status_code < 500, response.content[:500]
        if response.headers.get("Content-Type", "").startswith("text/event-stream"):
            return  # a stream's answer is its status and headers
        text = response.content.decode(errors="replace")
        assert not any(trace in text for trace in TRACEBACK), text[:2000]
        if 300 <= response.status_code < 400:
            location = response.headers.get("Location", "")
            assert ON_SITE.fullmatch(location), location
    finally:
        response.close()


def unhandled(records: list[logging.LogRecord]) -> list[str]:
    """Errors the server logged, less aiohttp's parser refusing a header (a 400 of its own)."""
    return [
        record.getMessage()
        for record in records
        if record.name in SERVER_LOGS
        and record.levelno >= logging.ERROR
        and not (record.exc_info and isinstance(record.exc_info[1], HttpProcessingError))
    ]


ROUTES = [(method, path) for method, path, _ in UI_ROUTES]


@pytest.mark.parametrize(("method", "template"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_no_dashboard_input_gets_a_5xx_a_traceback_or_no_answer(
    site: Site, method: str, template: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        phases=[Phase.explicit, Phase.generate],  # no shrinking: each case is a request
    )
    @given(case=cases(site, template))
    def answered(case: Case) -> None:
        # Sign-out ends the session it is sent with: not the one the other routes use.
        browser = site.fresh_session() if template == "/sign-out" else site.browser
        response = browser.dashboard.session.request(
            method,
            case.url(site.server.url),
            allow_redirects=False,
            stream=True,
            timeout=10,
            **case.arguments(method, browser, site.tenant.sid),
        )
        check(response)

    answered()
    assert not unhandled(caplog.records)
