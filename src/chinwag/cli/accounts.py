"""`chinwag accounts` and `chinwag keys`: create accounts and API keys, list accounts."""

from typing import Annotated

import typer
from rich.table import Table

from chinwag.cli.common import DatabaseOption, console, with_database
from chinwag.config import DEFAULT_DATABASE
from chinwag.domain import accounts
from chinwag.store import accounts as account_store
from chinwag.twilio.dates import to_json
from chinwag.twilio.errors import TwilioError

accounts_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)


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


@keys_app.command("create")
def keys_create(
    account_sid: Annotated[
        str, typer.Option("--account", help="SID of the account the key belongs to.")
    ],
    friendly_name: Annotated[str, typer.Option("--friendly-name")] = "chinwag key",
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Create an API key; its secret is printed once (kept to verify Access Tokens)."""
    try:
        created = with_database(
            database, lambda db: db.write(accounts.create_api_key, account_sid, friendly_name)
        )
    except TwilioError as error:
        console().print(f"[red]{error.message}[/red]")
        raise typer.Exit(2) from None
    console().print(f"API key SID: {created.key.sid}")
    console().print(f"Secret:      {created.secret}")
