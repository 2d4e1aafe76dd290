"""The `chinwag` command: a thin shell over library calls, one function per sub-command."""

import asyncio
import contextlib
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any, TypeVar

import typer
from aiohttp import web
from rich.console import Console
from rich.table import Table
from rich.text import Text

from chinwag.app import build_app, run_worker
from chinwag.config import DEFAULT_DATABASE, Settings
from chinwag.delivery.retention import DEFAULT_RETENTION_DAYS, prune
from chinwag.delivery.retry import DEFAULT_SCHEDULE
from chinwag.delivery.tail import AttemptOutcome, TailFilter, follow
from chinwag.delivery.worker import DEFAULT_HOST_CONCURRENCY, DEFAULT_LEASE
from chinwag.domain import accounts
from chinwag.logs import LogFormat, LogLevel, configure_logging
from chinwag.store import accounts as account_store
from chinwag.store import deliveries as delivery_store
from chinwag.store.database import (
    DEFAULT_POOL_SIZE,
    Database,
    UnsupportedDatabase,
    open_database,
)
from chinwag.store.deliveries import DeliveryFilter, DeliveryRecord, DeliveryStatus, LoggedAttempt
from chinwag.store.migrate import upgrade
from chinwag.twilio.dates import parse_iso8601, to_json, to_webhook, utc_now
from chinwag.twilio.errors import TwilioError
from chinwag.twilio.pagination import PageRequest

app = typer.Typer(help="A self-hosted Twilio Conversations API server.", no_args_is_help=True)
accounts_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
deliveries_app = typer.Typer(
    help="Inspect and redeliver webhook deliveries of every account in the database.",
    no_args_is_help=True,
)
app.add_typer(accounts_app, name="accounts")
app.add_typer(keys_app, name="keys")
app.add_typer(deliveries_app, name="deliveries")
console = Console()
T = TypeVar("T")

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


def _open(database_url: str, pool_size: int = DEFAULT_POOL_SIZE) -> Database:
    """Migrate to the latest schema, then open; exits with a message on a bad URL.

    Called outside any event loop: migrations on PostgreSQL run a loop of their own.
    """
    try:
        upgrade(database_url)
        return open_database(database_url, pool_size)
    except UnsupportedDatabase as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None


def _with_database(
    database_url: str, use: Callable[[Database], Awaitable[T]], pool_size: int = DEFAULT_POOL_SIZE
) -> T:
    """Open the migrated database, run `use` on it in an event loop, and close it."""
    database = _open(database_url, pool_size)

    async def run() -> T:
        try:
            return await use(database)
        finally:
            await database.close()

    return asyncio.run(run())


async def _bootstrap_account(database: Database) -> None:
    """TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN name the account; else the first start makes one."""
    sid, token = os.environ.get("TWILIO_ACCOUNT_SID"), os.environ.get("TWILIO_AUTH_TOKEN")
    if sid and token:
        try:
            await database.write(accounts.ensure_account, sid, token)
        except TwilioError as error:
            console.print(f"[red]{error.message}[/red]")
            raise typer.Exit(2) from None
        return
    if await database.read(account_store.count_accounts) == 0:
        account = await database.write(accounts.create_account, "chinwag account")
        say(
            "Created the first account. Its auth token is shown only this once:\n"
            f"  TWILIO_ACCOUNT_SID={account.sid}\n"
            f"  TWILIO_AUTH_TOKEN={account.auth_token}"
        )


StudioUrlOption = Annotated[
    str | None,
    typer.Option(
        envvar="CHINWAG_STUDIO_URL",
        help="Where `studio` webhooks are delivered; must contain {flow_sid}.",
    ),
]
TwilioStrictOption = Annotated[
    bool,
    typer.Option(
        envvar="CHINWAG_TWILIO_STRICT",
        help="Deliver like Twilio: one attempt with a 5 s timeout, no retries.",
    ),
]
RetryScheduleOption = Annotated[
    str | None,
    typer.Option(
        envvar="CHINWAG_RETRY_SCHEDULE",
        help="Seconds before each retry, comma-separated (default: 5 s to 10 h, 7 retries).",
    ),
]
DEFAULT_LEASE_SECONDS = DEFAULT_LEASE.total_seconds()
LeaseOption = Annotated[
    float,
    typer.Option(
        envvar="CHINWAG_DELIVERY_LEASE",
        help="Seconds a worker holds the deliveries it claimed; a dead worker's return after.",
    ),
]
LogFormatOption = Annotated[
    LogFormat,
    typer.Option(envvar="CHINWAG_LOG_FORMAT", help="Logs on stderr as text or JSON lines."),
]
LogLevelOption = Annotated[
    LogLevel,
    typer.Option(envvar="CHINWAG_LOG_LEVEL", help="The least severe level logged."),
]
RetentionOption = Annotated[
    float,
    typer.Option(
        envvar="CHINWAG_RETENTION_DAYS",
        help="Days finished deliveries and their attempts are kept (the worker prunes "
        "at start and hourly); 0 or less: for ever.",
    ),
]

DenyPrivateTargetsOption = Annotated[
    bool,
    typer.Option(
        envvar="CHINWAG_DENY_PRIVATE_TARGETS",
        help="Refuse webhook URLs on loopback, private, link-local or metadata addresses, "
        "when configured and when sent (off: local development targets localhost).",
    ),
]

PoolSizeOption = Annotated[
    int,
    typer.Option(
        min=1,
        envvar="CHINWAG_DATABASE_POOL_SIZE",
        help="PostgreSQL connections this process keeps (as many again in bursts).",
    ),
]
HostConcurrencyOption = Annotated[
    int,
    typer.Option(
        min=1,
        envvar="CHINWAG_HOST_CONCURRENCY",
        help="Webhook requests in flight at once to one target host:port.",
    ),
]


def _delivery_settings(
    studio_url: str | None,
    twilio_strict: bool,
    retry_schedule: str | None,
    lease: float,
    deny_private_targets: bool,
    host_concurrency: int,
    retention_days: float,
) -> dict[str, Any]:
    """The Settings fields `serve` and `worker` share, checked."""
    if studio_url is not None and "{flow_sid}" not in studio_url:
        raise typer.BadParameter("--studio-url must contain {flow_sid}")
    return {
        "studio_url": studio_url,
        "twilio_strict": twilio_strict,
        "retry_schedule": _schedule(retry_schedule) if retry_schedule else DEFAULT_SCHEDULE,
        "delivery_lease": timedelta(seconds=lease),
        "deny_private_targets": deny_private_targets,
        "host_concurrency": host_concurrency,
        "retention_days": retention_days,
    }


@app.command()
def serve(
    host: Annotated[str, typer.Option(envvar="CHINWAG_HOST")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="CHINWAG_PORT")] = 8080,
    database: DatabaseOption = DEFAULT_DATABASE,
    public_url: Annotated[
        str | None,
        typer.Option(envvar="CHINWAG_PUBLIC_URL", help="Base URL used in resource `url` fields."),
    ] = None,
    worker: Annotated[
        bool,
        typer.Option(
            envvar="CHINWAG_WORKER",
            help="Deliver webhooks in this process; --no-worker leaves it to `chinwag worker`.",
        ),
    ] = True,
    studio_url: StudioUrlOption = None,
    twilio_strict: TwilioStrictOption = False,
    retry_schedule: RetryScheduleOption = None,
    delivery_lease: LeaseOption = DEFAULT_LEASE_SECONDS,
    deny_private_targets: DenyPrivateTargetsOption = False,
    host_concurrency: HostConcurrencyOption = DEFAULT_HOST_CONCURRENCY,
    retention_days: RetentionOption = DEFAULT_RETENTION_DAYS,
    log_format: LogFormatOption = LogFormat.TEXT,
    log_level: LogLevelOption = LogLevel.INFO,
    database_pool_size: PoolSizeOption = DEFAULT_POOL_SIZE,
) -> None:
    """Run the API server (migrates the database first)."""
    settings = Settings(
        host=host,
        port=port,
        database_url=database,
        database_pool_size=database_pool_size,
        public_url=public_url,
        run_worker=worker,
        **_delivery_settings(
            studio_url,
            twilio_strict,
            retry_schedule,
            delivery_lease,
            deny_private_targets,
            host_concurrency,
            retention_days,
        ),
        log_format=log_format,
        log_level=log_level,
    )
    configure_logging(settings.log_format, settings.log_level)
    db = _open(settings.database_url, settings.database_pool_size)

    async def start() -> web.Application:
        await _bootstrap_account(db)
        return build_app(settings, db)

    # run_app handles SIGINT and SIGTERM: stop accepting, finish in-flight requests, clean up.
    web.run_app(
        start(),
        host=settings.host,
        port=settings.port,
        # run_app calls `print` once the socket is bound, so "listening" is true when shown.
        print=lambda _: say(f"chinwag listening on http://{settings.host}:{settings.port}"),
        access_log=None,
    )


@app.command("worker")
def worker_command(
    database: DatabaseOption = DEFAULT_DATABASE,
    studio_url: StudioUrlOption = None,
    twilio_strict: TwilioStrictOption = False,
    retry_schedule: RetryScheduleOption = None,
    delivery_lease: LeaseOption = DEFAULT_LEASE_SECONDS,
    deny_private_targets: DenyPrivateTargetsOption = False,
    host_concurrency: HostConcurrencyOption = DEFAULT_HOST_CONCURRENCY,
    retention_days: RetentionOption = DEFAULT_RETENTION_DAYS,
    log_format: LogFormatOption = LogFormat.TEXT,
    log_level: LogLevelOption = LogLevel.INFO,
    database_pool_size: PoolSizeOption = DEFAULT_POOL_SIZE,
) -> None:
    """Deliver webhooks from the outbox, beside `chinwag serve --no-worker` processes."""
    settings = Settings(
        database_url=database,
        database_pool_size=database_pool_size,
        **_delivery_settings(
            studio_url,
            twilio_strict,
            retry_schedule,
            delivery_lease,
            deny_private_targets,
            host_concurrency,
            retention_days,
        ),
        log_format=log_format,
        log_level=log_level,
    )
    configure_logging(settings.log_format, settings.log_level)
    say("chinwag worker delivering")
    _with_database(
        settings.database_url, lambda db: run_worker(settings, db), settings.database_pool_size
    )


@app.command()
def migrate(database: DatabaseOption = DEFAULT_DATABASE) -> None:
    """Apply the schema migrations and exit."""
    _with_database(database, lambda db: db.close())
    console.print("database is at the latest schema")


@accounts_app.command("create")
def accounts_create(
    friendly_name: Annotated[str, typer.Option("--friendly-name")] = "chinwag account",
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Create an account (with its default Conversation Service) and print its credentials."""
    account = _with_database(database, lambda db: db.write(accounts.create_account, friendly_name))
    console.print(f"TWILIO_ACCOUNT_SID={account.sid}")
    console.print(f"TWILIO_AUTH_TOKEN={account.auth_token}")


@accounts_app.command("list")
def accounts_list(database: DatabaseOption = DEFAULT_DATABASE) -> None:
    """List accounts (auth tokens are not shown)."""
    table = Table()
    table.add_column("SID", no_wrap=True, min_width=34)
    table.add_column("Friendly name")
    table.add_column("Created", no_wrap=True)
    for account in _with_database(database, lambda db: db.read(account_store.list_accounts)):
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
        created = _with_database(
            database, lambda db: db.write(accounts.create_api_key, account_sid, friendly_name)
        )
    except TwilioError as error:
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(2) from None
    console.print(f"API key SID: {created.key.sid}")
    console.print(f"Secret:      {created.secret}")


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
    page = _with_database(
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
    found = _with_database(
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
    requeued = _with_database(
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
    pruned = _with_database(database, lambda db: prune(db, cutoff))
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
        _with_database(database, print_attempts)


def main(argv: list[str] | None = None) -> None:
    app(args=argv if argv is not None else sys.argv[1:], prog_name="chinwag")
