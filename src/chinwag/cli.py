"""The `chinwag` command: a thin shell over library calls, one function per sub-command."""

import logging
import os
import sys
from typing import Annotated

import typer
from aiohttp import web
from rich.console import Console
from rich.table import Table

from chinwag.app import build_app
from chinwag.config import DEFAULT_DATABASE, Settings
from chinwag.delivery.retry import DEFAULT_SCHEDULE
from chinwag.domain import accounts
from chinwag.store import accounts as account_store
from chinwag.store.database import Database, UnsupportedDatabase
from chinwag.store.migrate import upgrade
from chinwag.twilio.dates import to_json
from chinwag.twilio.errors import TwilioError

app = typer.Typer(help="A self-hosted Twilio Conversations API server.", no_args_is_help=True)
accounts_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
app.add_typer(keys_app, name="keys")
console = Console()

DatabaseOption = Annotated[
    str,
    typer.Option(
        "--database", envvar="CHINWAG_DATABASE_URL", help="SQLAlchemy URL of the database."
    ),
]


def _schedule(text: str) -> tuple[float, ...]:
    try:
        waits = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise typer.BadParameter(f"--retry-schedule '{text}' is not a list of seconds") from None
    if any(wait < 0 for wait in waits):
        raise typer.BadParameter(f"--retry-schedule '{text}' has a negative wait")
    return waits


def say(message: str) -> None:
    """Print for the person (or supervisor) watching, flushed at once even into a pipe."""
    console.print(message)
    console.file.flush()


def _open(database_url: str) -> Database:
    """Migrate to the latest schema, then open; exits with a message on a bad URL."""
    try:
        upgrade(database_url)
        return Database(database_url)
    except UnsupportedDatabase as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None


def _bootstrap_account(database: Database) -> None:
    """TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN name the account; else the first start makes one."""
    sid, token = os.environ.get("TWILIO_ACCOUNT_SID"), os.environ.get("TWILIO_AUTH_TOKEN")
    if sid and token:
        try:
            database.write(accounts.ensure_account, sid, token)
        except TwilioError as error:
            console.print(f"[red]{error.message}[/red]")
            raise typer.Exit(2) from None
        return
    if database.read(account_store.count_accounts) == 0:
        account = database.write(accounts.create_account, "chinwag account")
        say(
            "Created the first account. Its auth token is shown only this once:\n"
            f"  TWILIO_ACCOUNT_SID={account.sid}\n"
            f"  TWILIO_AUTH_TOKEN={account.auth_token}"
        )


@app.command()
def serve(
    host: Annotated[str, typer.Option(envvar="CHINWAG_HOST")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="CHINWAG_PORT")] = 8080,
    database: DatabaseOption = DEFAULT_DATABASE,
    public_url: Annotated[
        str | None,
        typer.Option(envvar="CHINWAG_PUBLIC_URL", help="Base URL used in resource `url` fields."),
    ] = None,
    studio_url: Annotated[
        str | None,
        typer.Option(
            envvar="CHINWAG_STUDIO_URL",
            help="Where `studio` webhooks are delivered; must contain {flow_sid}.",
        ),
    ] = None,
    twilio_strict: Annotated[
        bool,
        typer.Option(
            envvar="CHINWAG_TWILIO_STRICT",
            help="Deliver like Twilio: one attempt with a 5 s timeout, no retries.",
        ),
    ] = False,
    retry_schedule: Annotated[
        str | None,
        typer.Option(
            envvar="CHINWAG_RETRY_SCHEDULE",
            help="Seconds before each retry, comma-separated (default: 5 s to 10 h, 7 retries).",
        ),
    ] = None,
) -> None:
    """Run the API server (migrates the database first)."""
    if studio_url is not None and "{flow_sid}" not in studio_url:
        console.print("[red]--studio-url must contain {flow_sid}[/red]")
        raise typer.Exit(2)
    settings = Settings(
        host=host,
        port=port,
        database_url=database,
        public_url=public_url,
        studio_url=studio_url,
        retry_schedule=_schedule(retry_schedule) if retry_schedule else DEFAULT_SCHEDULE,
        twilio_strict=twilio_strict,
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    db = _open(settings.database_url)
    _bootstrap_account(db)
    # run_app handles SIGINT and SIGTERM: stop accepting, finish in-flight requests, clean up.
    web.run_app(
        build_app(settings, db),
        host=settings.host,
        port=settings.port,
        # run_app calls `print` once the socket is bound, so "listening" is true when shown.
        print=lambda _: say(f"chinwag listening on http://{settings.host}:{settings.port}"),
        access_log=None,
    )


@app.command()
def migrate(database: DatabaseOption = DEFAULT_DATABASE) -> None:
    """Apply the schema migrations and exit."""
    _open(database).close()
    console.print("database is at the latest schema")


@accounts_app.command("create")
def accounts_create(
    friendly_name: Annotated[str, typer.Option("--friendly-name")] = "chinwag account",
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Create an account (with its default Conversation Service) and print its credentials."""
    account = _open(database).write(accounts.create_account, friendly_name)
    console.print(f"TWILIO_ACCOUNT_SID={account.sid}")
    console.print(f"TWILIO_AUTH_TOKEN={account.auth_token}")


@accounts_app.command("list")
def accounts_list(database: DatabaseOption = DEFAULT_DATABASE) -> None:
    """List accounts (auth tokens are not shown)."""
    table = Table()
    table.add_column("SID", no_wrap=True, min_width=34)
    table.add_column("Friendly name")
    table.add_column("Created", no_wrap=True)
    for account in _open(database).read(account_store.list_accounts):
        table.add_row(account.sid, account.friendly_name, to_json(account.date_created))
    console.print(table)


@keys_app.command("create")
def keys_create(
    account_sid: Annotated[
        str, typer.Option("--account", help="SID of the account the key belongs to.")
    ],
    friendly_name: Annotated[str, typer.Option("--friendly-name")] = "chinwag key",
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Create an API key; its secret is printed once and stored only as a hash."""
    try:
        created = _open(database).write(accounts.create_api_key, account_sid, friendly_name)
    except TwilioError as error:
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(2) from None
    console.print(f"API key SID: {created.key.sid}")
    console.print(f"Secret:      {created.secret}")


def main(argv: list[str] | None = None) -> None:
    app(args=argv if argv is not None else sys.argv[1:], prog_name="chinwag")
