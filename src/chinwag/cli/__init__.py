"""The `chinwag` command: a thin shell over library calls, one function per sub-command.

This module only assembles it: `server` (serve, worker, migrate), `accounts` (accounts, keys)
`deliveries`, `inbound`/`outbound` (channels), `pushes` and `token` (tokens), with what they
share in `common`.
"""

import sys

import typer

from chinwag.cli.accounts import accounts_app, keys_app
from chinwag.cli.channels import inbound_app, outbound_app
from chinwag.cli.deliveries import deliveries_app
from chinwag.cli.pushes import pushes_app
from chinwag.cli.server import server_app
from chinwag.cli.tokens import tokens_app

app = typer.Typer(help="A self-hosted Twilio Conversations API server.", no_args_is_help=True)
app.add_typer(server_app)  # no name: serve, worker and migrate are top-level commands
app.add_typer(accounts_app, name="accounts")
app.add_typer(keys_app, name="keys")
app.add_typer(deliveries_app, name="deliveries")
app.add_typer(inbound_app)  # `chinwag inbound`: a customer writes
app.add_typer(outbound_app, name="outbound")
app.add_typer(pushes_app, name="pushes")
app.add_typer(tokens_app)  # `chinwag token`: an Access Token for the client SDK


def main(argv: list[str] | None = None) -> None:
    app(args=argv if argv is not None else sys.argv[1:], prog_name="chinwag")
