"""`chinwag deliveries`: list, show, redeliver, prune and tail the webhook deliveries of
every account, as rich tables that fit the terminal, coloured lines, or JSON lines."""

import contextlib
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from chinwag.cli.common import DatabaseOption, console, say, with_database
from chinwag.config import DEFAULT_DATABASE
from chinwag.delivery.retention import DEFAULT_RETENTION_DAYS, prune
from chinwag.delivery.tail import AttemptOutcome, TailFilter, follow
from chinwag.resources.deliveries import attempt_json, delivery_json
from chinwag.store import deliveries as delivery_store
from chinwag.store.database import Database
from chinwag.store.deliveries import DeliveryFilter, DeliveryRecord, LoggedAttempt
from chinwag.store.outbox import Attempt, DeliveryStatus
from chinwag.twilio.dates import parse_iso8601, to_json, to_webhook, utc_now
from chinwag.twilio.pagination import PageRequest
from chinwag.twilio.urls import masked_url

deliveries_app = typer.Typer(
    help="Inspect and redeliver webhook deliveries of every account in the database.",
    no_args_is_help=True,
)


STATUS_STYLES = {
    DeliveryStatus.DELIVERED: "green",
    DeliveryStatus.FAILED: "red",
    DeliveryStatus.PENDING: "yellow",
    DeliveryStatus.WAITING: "cyan",
    DeliveryStatus.UNDELIVERABLE: "magenta",
}


def _status(status: str) -> str:
    style = STATUS_STYLES.get(DeliveryStatus(status), "default")
    return f"[{style}]{status}[/{style}]"


ConversationsOption = Annotated[
    list[str] | None, typer.Option(help="Only these conversations (CH…; repeatable).")
]
WebhooksOption = Annotated[
    list[str] | None, typer.Option(help="Only these webhooks (WH…; repeatable).")
]


# The list's columns in the order shown, each a cell of a delivery; as the terminal
# narrows, the least important (last in IMPORTANCE) go first. No cell is ever wrapped:
# a SID or a date broken over lines cannot be copied.
LIST_COLUMNS: dict[str, Callable[[DeliveryRecord], str]] = {
    "SID": lambda delivery: delivery.token,
    "Status": lambda delivery: delivery.status,
    "Event": lambda delivery: delivery.event_type,
    "Created": lambda delivery: to_json(delivery.date_created) or "",
    "Attempts": lambda delivery: str(delivery.attempts),
    "HTTP": lambda delivery: str(delivery.response_status or ""),
    "Conversation": lambda delivery: delivery.conversation_sid or "",
    "Webhook": lambda delivery: delivery.webhook_sid or "",
    "Target": lambda delivery: delivery.target,
}
IMPORTANCE = (
    "Status",
    "Event",
    "SID",
    "Created",
    "Attempts",
    "HTTP",
    "Conversation",
    "Webhook",
    "Target",
)
COLUMN_GAP = 2  # spaces between two columns


def fitting_columns(cells: Mapping[str, Sequence[str]], width: int) -> list[str]:
    """The columns of `cells` to show in `width` characters: the most important ones that
    fit whole, each as wide as its header or widest cell, in `cells`' order."""
    kept, used = set(), -COLUMN_GAP
    for name in IMPORTANCE:
        need = max([len(name), *map(len, cells[name])]) + COLUMN_GAP
        if used + need <= width:
            kept.add(name)
            used += need
    return [name for name in cells if name in kept]


def _plain_table(**options: Any) -> Table:
    """A borderless table: columns two spaces apart, nothing at the edges."""
    return Table(box=None, padding=(0, 1), pad_edge=False, **options)


def _print_json(value: dict[str, Any]) -> None:
    """One JSON object on one line, unwrapped and uncoloured, for scripts."""
    typer.echo(json.dumps(value))


JsonOption = Annotated[
    bool, typer.Option("--json", help="JSON, one object a line, as the Deliveries API has it.")
]


@deliveries_app.command("list")
def deliveries_list(
    status: Annotated[DeliveryStatus | None, typer.Option(help="Only this status.")] = None,
    conversation: ConversationsOption = None,
    webhook: WebhooksOption = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
    as_json: JsonOption = False,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """List deliveries of all accounts, newest first: the columns that fit the terminal."""
    where = DeliveryFilter(
        account_sid=None,
        conversation_sids=tuple(conversation or ()),
        webhook_sids=tuple(webhook or ()),
        status=status,
    )
    page = with_database(
        database, lambda db: db.read(delivery_store.list_deliveries, where, PageRequest(limit, 0))
    )
    if as_json:
        for delivery in page.rows:
            _print_json(delivery_json(delivery))
        return
    cells = {name: [cell(row) for row in page.rows] for name, cell in LIST_COLUMNS.items()}
    shown = fitting_columns(cells, console().width)
    table = _plain_table()
    for name in shown:
        table.add_column(name, no_wrap=True, justify="right" if name == "Attempts" else "left")
    for index in range(len(page.rows)):
        row = {name: cells[name][index] for name in shown}
        if "Status" in row:
            row["Status"] = _status(row["Status"])
        table.add_row(*row.values())
    console().print(table)


def _delivery_table(delivery: DeliveryRecord) -> Table:
    """The delivery as field/value lines: SIDs and dates on one line, long values folded."""
    table = _plain_table(show_header=False)
    table.add_column("Field", no_wrap=True, style="bold")
    table.add_column("Value", overflow="fold")
    fields = [
        ("SID", delivery.token),
        ("Status", _status(delivery.status)),
        ("Waiting for", delivery.waiting_for),  # the head of its order, for a waiting one
        ("Ordered", "yes" if delivery.order_key else None),
        ("Event", delivery.event_type),
        ("Account", delivery.account_sid),
        ("Service", delivery.service_sid),
        ("Conversation", delivery.conversation_sid),
        ("Webhook", delivery.webhook_sid),
        ("Target", delivery.target),
        ("URL", f"{delivery.method} {delivery.url or ''}"),
        ("Attempts", str(delivery.attempts)),
        ("Next attempt", to_json(delivery.next_attempt_at)),
        ("Response", str(delivery.response_status or "")),
        ("Error", delivery.error),
        ("Created", to_json(delivery.date_created)),
        ("Updated", to_json(delivery.date_updated)),
    ]
    for name, value in fields:
        if value:  # an empty field (no error, no next attempt) says nothing
            # Text: a URL or an error with `[...]` in it is not rich markup.
            table.add_row(name, value if name == "Status" else Text(value))
    return table


def _attempts_table(attempts: Sequence[Attempt]) -> Table:
    """One line an attempt: number, start, method, status, latency, then its error folded."""
    table = _plain_table(title="Attempts", title_justify="left")
    for name in ("#", "Started", "Method", "HTTP", "ms"):
        table.add_column(name, no_wrap=True, justify="right" if name == "ms" else "left")
    table.add_column("Error", overflow="fold")
    for attempt in attempts:
        table.add_row(
            str(attempt.attempt),
            to_json(attempt.started_at),
            attempt.method,
            str(attempt.response_status or ""),
            f"{attempt.latency_ms:.0f}",
            Text(attempt.error or ""),
        )
    return table


@deliveries_app.command("show")
def deliveries_show(
    sid: Annotated[str, typer.Argument(help="The delivery's SID (its idempotency token).")],
    as_json: JsonOption = False,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Show one delivery (of any account) and its attempts, oldest first."""
    found = with_database(
        database, lambda db: db.read(delivery_store.find_with_attempts, None, sid)
    )
    if found is None:
        console().print(f"[red]Delivery '{sid}' was not found.[/red]")
        raise typer.Exit(1)
    delivery, attempts = found
    if as_json:
        _print_json({**delivery_json(delivery), "attempts": [attempt_json(a) for a in attempts]})
        return
    console().print(_delivery_table(delivery))
    console().print(_attempts_table(attempts))


@deliveries_app.command("redeliver")
def deliveries_redeliver(
    sid: Annotated[str, typer.Argument(help="The delivery's SID (its idempotency token).")],
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Queue a delivery (of any account) again; a running server sends it within its poll."""
    requeued = with_database(
        database, lambda db: db.write(delivery_store.redeliver, None, sid, utc_now())
    )
    if requeued is None:
        console().print(f"[red]Delivery '{sid}' was not found.[/red]")
        raise typer.Exit(1)
    console().print(_delivery_table(requeued))


@deliveries_app.command("prune")
def deliveries_prune(
    older_than_days: Annotated[
        float,
        typer.Option(min=0, help="Age in days, from the last change (0: every finished one)."),
    ] = DEFAULT_RETENTION_DAYS,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Remove delivered, failed and undeliverable deliveries (of all accounts) older than
    the age given, with their attempts; pending and waiting deliveries always stay."""
    cutoff = utc_now() - timedelta(days=older_than_days)
    pruned = with_database(database, lambda db: prune(db, cutoff))
    say(f"removed {pruned.deliveries} deliveries and {pruned.attempts} attempts")


OUTCOME_STYLES = {
    AttemptOutcome.DELIVERED: "green",
    AttemptOutcome.RETRYING: "yellow",
    AttemptOutcome.FAILED: "red",
}


def _tail_line(entry: LoggedAttempt, result: AttemptOutcome) -> Text:
    answer = (entry.error or "-") if entry.response_status is None else str(entry.response_status)
    return Text(
        f"{to_webhook(entry.started_at)}  {result:<9} #{entry.attempt:<2} {answer:<7} "
        f"{entry.latency_ms:>6.0f} ms  {entry.event_type}  {entry.token}  {masked_url(entry.url)}",
        style=OUTCOME_STYLES[result],
    )


@deliveries_app.command("tail")
def deliveries_tail(
    conversation: ConversationsOption = None,
    webhook: WebhooksOption = None,
    status: Annotated[
        list[AttemptOutcome] | None, typer.Option(help="Only attempts with this outcome.")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Start at attempts from this ISO 8601 time, not now.")
    ] = None,
    no_color: Annotated[bool, typer.Option("--no-color", help="Plain lines.")] = False,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Print delivery attempts (of all accounts) as they are made, until Ctrl-C."""
    start = parse_iso8601(since) if since is not None else None
    if since is not None and start is None:
        raise typer.BadParameter(f"--since '{since}' is not an ISO 8601 time")
    where = TailFilter(
        start, tuple(conversation or ()), tuple(webhook or ()), frozenset(status or ())
    )
    # Colour only on a terminal (rich's choice) unless --no-color; never wrapped.
    out = Console(no_color=no_color, highlight=False, soft_wrap=True)

    async def print_attempts(db: Database) -> None:
        after = 0 if start is not None else await db.read(delivery_store.last_attempt_id)
        # Said once the starting point is taken: what follows is new.
        out.print(
            f"Following delivery attempts from {since or 'now'} (Ctrl-C stops): time, outcome, "
            "attempt, status or error, latency, event, delivery, URL",
            style="dim",
        )
        out.file.flush()
        async for entry, result in follow(db, after, where):
            out.print(_tail_line(entry, result))
            out.file.flush()

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how tail ends
        with_database(database, print_attempts)
