"""`chinwag token`: print an Access Token for the client SDK, signed with a chinwag API key."""

from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import Connection

from chinwag.cli.common import DatabaseOption, console, with_database
from chinwag.config import DEFAULT_DATABASE
from chinwag.domain.access_tokens import DEFAULT_TTL, IssuedToken, issue_access_token
from chinwag.store import accounts as account_store
from chinwag.store.database import Database
from chinwag.twilio.dates import to_json, utc_now
from chinwag.twilio.errors import InvalidParameter, TwilioError

tokens_app = typer.Typer()


@tokens_app.command("token")
def token(
    identity: Annotated[str, typer.Option("--identity", help="The user the token speaks for.")],
    account_sid: Annotated[
        str | None,
        typer.Option(
            "--account",
            envvar="TWILIO_ACCOUNT_SID",
            help="Account SID; may be left out when the database holds one account.",
        ),
    ] = None,
    service_sid: Annotated[
        str | None,
        typer.Option(
            "--service", help="Conversation Service SID; the account's default if left out."
        ),
    ] = None,
    ttl: Annotated[
        int, typer.Option("--ttl", min=1, max=86400, help="Seconds the token lives (24 h at most).")
    ] = DEFAULT_TTL,
    key_sid: Annotated[
        str | None,
        typer.Option("--key", help="API key SID to sign with; chinwag's own key if left out."),
    ] = None,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Print an Access Token (JWT) for `new Client(token)` of @twilio/conversations.

    Signed as twilio-python's AccessToken with a ChatGrant, by --key or chinwag's own key.
    """

    async def issue(db: Database) -> IssuedToken:
        account = account_sid if account_sid else await db.read(_only_account)
        return await db.write(
            issue_access_token,
            account,
            identity,
            utc_now(),
            service_sid=service_sid,
            ttl=ttl,
            key_sid=key_sid,
        )

    try:
        issued = with_database(database, issue)
    except TwilioError as error:
        console().print(f"[red]{error.message}[/red]")
        raise typer.Exit(2) from None
    grant = issued.grant
    # The token alone goes to stdout, for `TOKEN=$(chinwag token --identity alice)`.
    typer.echo(issued.token)
    Console(stderr=True).print(
        f"identity {grant.identity}, account {grant.account_sid}, service "
        f"{grant.chat_service_sid}, key {grant.api_key_sid}, expires {to_json(grant.expires_at)}"
    )


def _only_account(conn: Connection) -> str:
    found = account_store.list_accounts(conn)
    if len(found) != 1:
        raise InvalidParameter(
            f"The database holds {len(found)} accounts; name one with --account "
            "(or TWILIO_ACCOUNT_SID)."
        )
    return found[0].sid
