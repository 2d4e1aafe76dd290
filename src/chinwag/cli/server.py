"""`chinwag serve`, `worker` and `migrate`: the processes that run chinwag, and their options.

`serve` and `worker` declare the delivery options each (typer reads a command's options from
its own signature); `_delivery_settings` turns them into the Settings fields both share.
"""

import os
from datetime import timedelta
from typing import Annotated, Any

import typer
from aiohttp import web

from chinwag.app import build_app, run_worker
from chinwag.cli.common import (
    DatabaseOption,
    console,
    new_event_loop,
    open_migrated,
    say,
    tune_garbage_collector,
    with_database,
)
from chinwag.cli.processes import serve_processes, shared_between_processes
from chinwag.config import DEFAULT_AUTH_FAILURE_LIMIT, DEFAULT_DATABASE, Settings
from chinwag.delivery.host_gate import DEFAULT_HOST_CONCURRENCY
from chinwag.delivery.in_flight import DEFAULT_SHUTDOWN_GRACE
from chinwag.delivery.leases import DEFAULT_LEASE
from chinwag.delivery.retention import DEFAULT_RETENTION_DAYS
from chinwag.delivery.retry import DEFAULT_SCHEDULE
from chinwag.domain import accounts
from chinwag.logs import LogFormat, LogLevel, configure_logging
from chinwag.store import accounts as account_store
from chinwag.store.database import DEFAULT_POOL_SIZE, Database
from chinwag.twilio.errors import TwilioError
from chinwag.twilio.sids import FLOW
from chinwag.twilio.urls import NOT_A_URL, is_http_url

# No name or help of its own: `chinwag.cli` adds its commands at the top level.
server_app = typer.Typer()


def _schedule(text: str) -> tuple[float, ...]:
    try:
        waits = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise typer.BadParameter(f"--retry-schedule '{text}' is not a list of seconds") from None
    if any(wait < 0 for wait in waits):
        raise typer.BadParameter(f"--retry-schedule '{text}' has a negative wait")
    return waits


async def _bootstrap_account(database: Database) -> None:
    """TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN name the account; else the first start makes one."""
    sid, token = os.environ.get("TWILIO_ACCOUNT_SID"), os.environ.get("TWILIO_AUTH_TOKEN")
    if sid and token:
        try:
            await database.write(accounts.ensure_account, sid, token)
        except TwilioError as error:
            console().print(f"[red]{error.message}[/red]")
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
        help="Seconds before a dead worker's claimed deliveries go to another worker "
        "(a live worker renews its leases every third of it).",
    ),
]
ShutdownGraceOption = Annotated[
    float,
    typer.Option(
        min=0,
        envvar="CHINWAG_SHUTDOWN_GRACE",
        help="Seconds webhook requests in flight may take on SIGTERM; then they are "
        "abandoned and their deliveries released for the next worker.",
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


def _check_studio_url(studio_url: str) -> None:
    """A URL the worker can fill in and send to: the rule of every webhook URL."""
    if "{flow_sid}" not in studio_url:
        raise typer.BadParameter("--studio-url must contain {flow_sid}")
    try:
        filled = studio_url.format(flow_sid=FLOW + "0" * 32)  # as delivery/attempts.py does
    except (KeyError, IndexError, ValueError):  # another {field}, or an unpaired brace
        raise typer.BadParameter(
            f"--studio-url '{studio_url}' has braces other than {{flow_sid}}."
        ) from None
    if not is_http_url(filled):
        raise typer.BadParameter(f"--studio-url '{studio_url}' {NOT_A_URL}")


def _delivery_settings(
    studio_url: str | None,
    twilio_strict: bool,
    retry_schedule: str | None,
    lease: float,
    deny_private_targets: bool,
    host_concurrency: int,
    retention_days: float,
    shutdown_grace: float,
) -> dict[str, Any]:
    """The Settings fields `serve` and `worker` share, checked."""
    if studio_url is not None:
        _check_studio_url(studio_url)
    return {
        "studio_url": studio_url,
        "twilio_strict": twilio_strict,
        "retry_schedule": _schedule(retry_schedule) if retry_schedule else DEFAULT_SCHEDULE,
        "delivery_lease": timedelta(seconds=lease),
        "deny_private_targets": deny_private_targets,
        "host_concurrency": host_concurrency,
        "retention_days": retention_days,
        "shutdown_grace": shutdown_grace,
    }


@server_app.command()
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
    shutdown_grace: ShutdownGraceOption = DEFAULT_SHUTDOWN_GRACE,
    log_format: LogFormatOption = LogFormat.TEXT,
    log_level: LogLevelOption = LogLevel.INFO,
    database_pool_size: PoolSizeOption = DEFAULT_POOL_SIZE,
    receipt_delay: Annotated[
        float,
        typer.Option(
            envvar="CHINWAG_RECEIPT_DELAY",
            min=0.0,
            help="Seconds after `sent` that SMS/WhatsApp receipts become `delivered`; 0: at once.",
        ),
    ] = 1.0,
    auth_failure_limit: Annotated[
        int,
        typer.Option(
            envvar="CHINWAG_AUTH_FAILURE_LIMIT",
            min=1,
            help="Failed Basic auths and dashboard sign-ins one client IP may make per "
            "minute; then 429 until the minute has passed (behind a proxy all clients "
            "share its IP).",
        ),
    ] = DEFAULT_AUTH_FAILURE_LIMIT,
    processes: Annotated[
        int,
        typer.Option(
            envvar="CHINWAG_PROCESSES",
            min=1,
            help="Server processes accepting on the port, to use more cores; the first "
            "delivers webhooks (with --worker).",
        ),
    ] = 1,
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
            shutdown_grace,
        ),
        log_format=log_format,
        log_level=log_level,
        receipt_delay=receipt_delay,
        auth_failure_limit=auth_failure_limit,
    )
    configure_logging(settings.log_format, settings.log_level)

    def announce() -> None:  # once the socket is bound, so "listening" is true when shown
        say(
            f"chinwag listening on http://{settings.host}:{settings.port}\n"
            f"Dashboard: http://{_browsable(settings.host)}:{settings.port}/chinwag/ui/\n"
            "  (sign in with TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN)"
        )

    if processes > 1:
        if not shared_between_processes(settings.database_url):
            raise typer.BadParameter(
                "--processes needs a database file or PostgreSQL: an in-memory SQLite "
                "database belongs to one process."
            )
        with_database(settings.database_url, _bootstrap_account, settings.database_pool_size)
        serve_processes(settings, processes, announce)
        return
    db = open_migrated(settings.database_url, settings.database_pool_size)

    async def start() -> web.Application:
        await _bootstrap_account(db)
        app = build_app(settings, db)
        tune_garbage_collector()
        return app

    # run_app handles SIGINT and SIGTERM: stop accepting, finish in-flight requests, clean up.
    web.run_app(
        start(),
        loop=new_event_loop(),
        host=settings.host,
        port=settings.port,
        print=lambda _: announce(),
        access_log=None,
        # API requests in flight get the grace too (a pre-event webhook may be waited on).
        shutdown_timeout=settings.shutdown_grace,
    )


def _browsable(host: str) -> str:
    """A host a browser can open: a wildcard bind is reached on loopback."""
    return {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(host, host)


@server_app.command("worker")
def worker_command(
    database: DatabaseOption = DEFAULT_DATABASE,
    studio_url: StudioUrlOption = None,
    twilio_strict: TwilioStrictOption = False,
    retry_schedule: RetryScheduleOption = None,
    delivery_lease: LeaseOption = DEFAULT_LEASE_SECONDS,
    deny_private_targets: DenyPrivateTargetsOption = False,
    host_concurrency: HostConcurrencyOption = DEFAULT_HOST_CONCURRENCY,
    retention_days: RetentionOption = DEFAULT_RETENTION_DAYS,
    shutdown_grace: ShutdownGraceOption = DEFAULT_SHUTDOWN_GRACE,
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
            shutdown_grace,
        ),
        log_format=log_format,
        log_level=log_level,
    )
    configure_logging(settings.log_format, settings.log_level)
    say("chinwag worker delivering")
    with_database(
        settings.database_url, lambda db: run_worker(settings, db), settings.database_pool_size
    )


@server_app.command()
def migrate(database: DatabaseOption = DEFAULT_DATABASE) -> None:
    """Apply the schema migrations and exit."""
    with_database(database, lambda db: db.close())
    console().print("database is at the latest schema")
