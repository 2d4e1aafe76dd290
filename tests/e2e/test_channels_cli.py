"""`chinwag inbound` and `chinwag outbound list` choose the account and report refusals as an
operator needs: in-process through typer's CliRunner on a database of the test's own
(test_sms_bot.py runs the happy path as a subprocess beside a running server)."""

import re

from typer.testing import CliRunner

from chinwag.cli import app
from chinwag.testing import twilio_client
from tests.inprocess import AppServer

BUSINESS = "+15557650000"
MAGIC_INVALID = "+15005550001"  # Twilio's test number that fails with 21211 (domain/carrier.py)
ACCOUNT = re.compile(r"TWILIO_ACCOUNT_SID=(AC[0-9a-f]{32})")
WIDE = {"COLUMNS": "200"}


def chinwag(database_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*args, "--database", database_url], env=WIDE)
    return result.exit_code, result.output


def new_account(database_url: str) -> str:
    code, output = chinwag(database_url, "accounts", "create")
    found = ACCOUNT.search(output)
    assert code == 0 and found, output
    return found.group(1)


def inbound(database_url: str, *args: str) -> tuple[int, str]:
    return chinwag(database_url, "inbound", "--from", "+15551110000", "--to", BUSINESS, "hi", *args)


def test_inbound_needs_an_account_it_can_name(database_url: str) -> None:
    code, output = inbound(database_url)
    assert code == 2 and "The database has 0 accounts: name one." in output, output
    first, second = new_account(database_url), new_account(database_url)

    code, output = inbound(database_url)
    assert code == 2 and "The database has 2 accounts: name one." in output, output
    unknown = "AC" + "0" * 32
    code, output = inbound(database_url, "--account", unknown)
    assert code == 2 and f"No account {unknown} in this database." in output, output
    code, output = chinwag(database_url, "outbound", "list", "--account", unknown)
    assert code == 2 and f"No account {unknown} in this database." in output, output

    for named in (first, second):  # a known account is taken, and only then is routing asked
        code, output = inbound(database_url, "--account", named)
        assert code == 1, output
        assert output.startswith("20404: ") and "no Address Configuration" in output, output


def test_outbound_list_shows_a_failed_message_with_its_error_code(fresh_app: AppServer) -> None:
    client = twilio_client(fresh_app)
    client.conversations.v1.address_configurations.create(
        type="sms", address=BUSINESS, auto_creation_enabled=True, auto_creation_type="default"
    )
    url = fresh_app.database_url
    code, output = chinwag(url, "inbound", "--from", MAGIC_INVALID, "--to", BUSINESS, "hello")
    created = re.search(r"conversation (CH[0-9a-f]{32}) \(created\)", output)
    assert code == 0 and created, output
    conversation = client.conversations.v1.conversations(created.group(1))
    conversation.messages.create(author="agent", body="We will call you.")

    code, listed = chinwag(url, "outbound", "list", "--to", MAGIC_INVALID)

    assert code == 0, listed
    [line] = listed.splitlines()
    sent = f"{BUSINESS} -> {MAGIC_INVALID} {created.group(1)} 'We will call you.'"
    assert re.fullmatch(rf"SM[0-9a-f]{{32}} \S+Z failed \(21211\) {re.escape(sent)}", line), line
    code, listed = chinwag(url, "outbound", "list", "--status", "delivered")
    assert (code, listed) == (0, "")
