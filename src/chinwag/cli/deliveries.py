"""`chinwag deliveries`: list, show, redeliver, prune and tail the webhook deliveries of
every account, as rich tables and coloured lines."""

import contextlib
from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from chinwag.cli.common import DatabaseOption, console, say, with_database
from chinwag.config import DEFAULT_DATABASE
from chinwag.delivery.retention import DEFAULT_RETENTION_DAYS, prune
from chinwag.delivery.tail import AttemptOutcome, TailFilter, follow
from chinwag.store import deliveries as delivery_store
from chinwag.store.database import Database
from chinwag.store.deliveries import DeliveryFilter, DeliveryRecord, LoggedAttempt
from chinwag.store.outbox import DeliveryStatus
from chinwag.twilio.dates import parse_iso8601, to_json, to_webhook, utc_now
from chinwag.twilio.pagination import PageRequest

deliveries_app = typer.Typer(
    help="Inspect and redeliver webhook deliveries of every account in the database.",
    no_args_is_help=True,
)


STATUS_STYLES = {
    DeliveryStatus.DELIVERED: "green",
    DeliveryStatus.FAILED: "red",
    DeliveryStatus.PENDING: "yellow",
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


@deliveries_app.command("list")
def deliveries_list(
    status: Annotated[DeliveryStatus | None, typer.Option(help="Only this status.")] = None,
    conversation: ConversationsOption = None,
    webhook: WebhooksOption = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """List deliveries of all accounts, newest first."""
    where = DeliveryFilter(
        account_sid=None,
        conversation_sids=tuple(conversation or ()),
        webhook_sids=tuple(webhook or ()),
        status=status,
    )
    page = with_database(
        database, lambda db: db.read(delivery_store.list_deliveries, where, PageRequest(limit, 0))
    )
    table = Table()
    table.add_column("SID", no_wrap=True, min_width=36)
    table.add_column("Status", no_wrap=True)
    table.add_column("Event", overflow="fold")
    table.add_column("Attempts", justify="right")
    table.add_column("HTTP", justify="right")
    table.add_column("Conversation", overflow="fold")
    table.add_column("Created", overflow="fold")
    for delivery in page.rows:
        table.add_row(
            delivery.token,
            _status(delivery.status),
            delivery.event_type,
            str(delivery.attempts),
            str(delivery.response_status or ""),
            delivery.conversation_sid or "",
            to_json(delivery.date_created),
        )
    console.print(table)


def _delivery_table(delivery: DeliveryRecord) -> Table:
    table = Table(show_header=False)
    table.add_column("Field", no_wrap=True)
    table.add_column("Value", overflow="fold")
    fields = [
        ("SID", delivery.token),
        ("Account", delivery.account_sid),
        ("Service", delivery.service_sid),
        ("Conversation", delivery.conversation_sid),
        ("Webhook", delivery.webhook_sid),
        ("Target", delivery.target),
        ("Event", delivery.event_type),
        ("URL", f"{delivery.method} {delivery.url or ''}"),
        ("Status", _status(delivery.status)),
        ("Attempts", str(delivery.attempts)),
        ("Next attempt", to_json(delivery.next_attempt_at)),
        ("Response", str(delivery.response_status or "")),
        ("Error", delivery.error),
        ("Created", to_json(delivery.date_created)),
        ("Updated", to_json(delivery.date_updated)),
    ]
    for name, value in fields:
        table.add_row(name, value or "")
    return table


@deliveries_app.command("show")
def deliveries_show(
    sid: Annotated[str, typer.Argument(help="The delivery's SID (its idempotency token).")],
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Show one delivery (of any account) and its attempts, oldest first."""
    found = with_database(
        database, lambda db: db.read(delivery_store.find_with_attempts, None, sid)
    )
    if found is None:
        console.print(f"[red]Delivery '{sid}' was not found.[/red]")
        raise typer.Exit(1)
    delivery, attempts = found
    console.print(_delivery_table(delivery))
    log = Table(title="Attempts")
    for name in ("#", "Started", "Method", "HTTP", "Latency ms", "Error"):
        log.add_column(name, overflow="fold")
    for attempt in attempts:
        log.add_row(
            str(attempt.attempt),
            to_json(attempt.started_at),
            attempt.method,
            str(attempt.response_status or ""),
            f"{attempt.latency_ms:.0f}",
            attempt.error or "",
        )
    console.print(log)


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
        console.print(f"[red]Delivery '{sid}' was not found.[/red]")
        raise typer.Exit(1)
    console.print(_delivery_table(requeued))


@deliveries_app.command("prune")
def deliveries_prune(
    older_than_days: Annotated[
        float,
        typer.Option(min=0, help="Age in days, from the last change (0: every finished one)."),
    ] = DEFAULT_RETENTION_DAYS,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Remove delivered, failed and undeliverable deliveries (of all accounts) older than
    the age given, with their attempts; pending deliveries always stay."""
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
        f"{entry.latency_ms:>6.0f} ms  {entry.event_type}  {entry.token}  {entry.url}",
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
