"""`chinwag accounts` and `chinwag keys`: create accounts and API keys, list accounts, rotate
an auth token, delete a key."""

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from chinwag.cli.common import DatabaseOption, console, with_database
from chinwag.config import DEFAULT_DATABASE
from chinwag.domain import accounts
from chinwag.store import accounts as account_store
from chinwag.store.database import Database
from chinwag.twilio.dates import to_json
from chinwag.twilio.errors import TwilioError

accounts_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)

T = TypeVar("T")


def _or_exit(database: str, use: Callable[[Database], Awaitable[T]], code: int) -> T:
    """`use` run on the database; a Twilio error is printed, and exits with `code`."""
    try:
        return with_database(database, use)
    except TwilioError as error:
        console().print(f"[red]{error.message}[/red]")
        raise typer.Exit(code) from None


@accounts_app.command("create")
def accounts_create(
    friendly_name: Annotated[str, typer.Option("--friendly-name")] = "chinwag account",
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Create an account (with its default Conversation Service) and print its credentials."""
    account = with_database(database, lambda db: db.write(accounts.create_account, friendly_name))
    console().print(f"TWILIO_ACCOUNT_SID={account.sid}")
    console().print(f"TWILIO_AUTH_TOKEN={account.auth_token}")


@accounts_app.command("list")
def accounts_list(database: DatabaseOption = DEFAULT_DATABASE) -> None:
    """List accounts (auth tokens are not shown)."""
    table = Table()
    table.add_column("SID", no_wrap=True, min_width=34)
    table.add_column("Friendly name")
    table.add_column("Created", no_wrap=True)
    for account in with_database(database, lambda db: db.read(account_store.list_accounts)):
        table.add_row(account.sid, account.friendly_name, to_json(account.date_created))
    console().print(table)


@accounts_app.command("rotate-token")
def accounts_rotate_token(
    account_sid: Annotated[str, typer.Argument(help="SID of the account (AC...).")],
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Give an account a new auth token and print it; the old one is refused from now on
    (by running servers within 5 s). API keys and the Access Tokens they sign keep working."""
    account = _or_exit(database, lambda db: db.write(accounts.rotate_auth_token, account_sid), 1)
    console().print(f"TWILIO_ACCOUNT_SID={account.sid}")
    console().print(f"TWILIO_AUTH_TOKEN={account.auth_token}")
    # `serve` sets the token of the account TWILIO_* name back to TWILIO_AUTH_TOKEN at start.
    Console(stderr=True).print(
        "If a `chinwag serve` gets this account from TWILIO_ACCOUNT_SID, set its "
        "TWILIO_AUTH_TOKEN to the new token: it sets the old one back when it starts."
    )


@keys_app.command("create")
def keys_create(
    account_sid: Annotated[
        str, typer.Option("--account", help="SID of the account the key belongs to.")
    ],
    friendly_name: Annotated[str, typer.Option("--friendly-name")] = "chinwag key",
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Create an API key; its secret is printed once (kept to verify Access Tokens)."""
    created = _or_exit(
        database, lambda db: db.write(accounts.create_api_key, account_sid, friendly_name), 2
    )
    console().print(f"API key SID: {created.key.sid}")
    console().print(f"Secret:      {created.secret}")


@keys_app.command("delete")
def keys_delete(
    key_sid: Annotated[str, typer.Argument(help="SID of the API key (SK...).")],
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Delete an API key: its Basic auth and the Access Tokens it signed are refused from now
    on (by running servers within 5 s)."""
    key = _or_exit(database, lambda db: db.write(accounts.delete_api_key, key_sid), 1)
    console().print(f"Deleted API key {key.sid}.")
