"""`chinwag` refuses bad options before it opens anything, naming the option.

Run in-process through typer's CliRunner: each refusal happens while the options
are read, so no server, worker or database is started.
"""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from chinwag.cli import app

WIDE = {"COLUMNS": "200"}  # one line per message in typer's error box


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["serve", "--retry-schedule", "5,soon"], "--retry-schedule '5,soon' is not a list of"),
        (["worker", "--retry-schedule", "5,-1"], "--retry-schedule '5,-1' has a negative wait"),
        (["serve", "--studio-url", "http://studio.test/flows"], "must contain {flow_sid}"),
        (["worker", "--studio-url", "http://studio.test/flows"], "must contain {flow_sid}"),
        (["serve", "--studio-url", "studio.test/{flow_sid}"], "is not an absolute http(s) URL"),
        (["worker", "--studio-url", "http://studio.test/a b/{flow_sid}"], "without control"),
        (["serve", "--studio-url", "http://studio.test/{flow_sid}/{x}"], "braces other than"),
        (["serve", "--host-concurrency", "0"], "--host-concurrency"),
        (["serve", "--database-pool-size", "0"], "--database-pool-size"),
        (["serve", "--auth-failure-limit", "0"], "--auth-failure-limit"),
        (["serve", "--processes", "0"], "--processes"),
        (["serve", "--processes", "2", "--database", "sqlite://"], "an in-memory SQLite"),
    ],
)
def test_a_bad_option_is_refused_with_exit_code_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, args, env=WIDE)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_a_key_for_an_unknown_account_is_refused(tmp_path: Path) -> None:
    unknown = "AC" + "0" * 32
    database = f"sqlite:///{tmp_path / 'keys.db'}"
    result = CliRunner().invoke(
        app, ["keys", "create", "--account", unknown, "--database", database]
    )
    assert result.exit_code == 2
    assert f"Account '{unknown}' does not exist." in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["keys", "delete", "SK" + "0" * 32], f"API key 'SK{'0' * 32}' does not exist."),
        (["accounts", "rotate-token", "AC" + "0" * 32], f"Account 'AC{'0' * 32}' does not exist."),
    ],
)
def test_deleting_an_unknown_key_or_rotating_an_unknown_account_exits_1(
    tmp_path: Path, args: list[str], message: str
) -> None:
    database = f"sqlite:///{tmp_path / 'unknown.db'}"
    result = CliRunner().invoke(app, [*args, "--database", database], env=WIDE)
    assert result.exit_code == 1, result.output
    assert message in result.output


def test_a_token_needs_an_account_when_the_database_holds_none_or_several(
    tmp_path: Path,
) -> None:
    database = f"sqlite:///{tmp_path / 'tokens.db'}"
    args = ["token", "--identity", "alice", "--database", database]
    env = {**WIDE, "TWILIO_ACCOUNT_SID": ""}
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 2, result.output
    assert "The database holds 0 accounts; name one with --account" in result.output
    assert CliRunner().invoke(app, ["accounts", "create", "--database", database]).exit_code == 0

    alone = CliRunner().invoke(app, args, env=env)

    assert alone.exit_code == 0, alone.output
    assert alone.stdout.count(".") == 2  # header.payload.signature, and nothing else
    for bad in (["--ttl", "86401"], ["--service", "IS" + "0" * 32], ["--key", "SK" + "0" * 32]):
        refused = CliRunner().invoke(app, [*args, *bad], env=env)
        assert refused.exit_code == 2, refused.output
