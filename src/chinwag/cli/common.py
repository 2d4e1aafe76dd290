"""What every `chinwag` sub-command shares: the console, `--database`, the migrated database."""

import asyncio
import gc
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from chinwag.store.database import (
    DEFAULT_POOL_SIZE,
    Database,
    UnsupportedDatabase,
    open_database,
)
from chinwag.store.migrate import upgrade

if sys.platform != "win32":  # uvloop is not built for Windows (pyproject.toml)
    import uvloop


def console() -> Console:
    """A console for this run: rich reads the environment (COLUMNS, NO_COLOR...) when one
    is made, and a command may run in a process forked from one that imported this
    module under another environment (`chinwag.launcher`)."""
    return Console()


T = TypeVar("T")

DatabaseOption = Annotated[
    str,
    typer.Option(
        "--database", envvar="CHINWAG_DATABASE_URL", help="SQLAlchemy URL of the database."
    ),
]


# Allocations between the collector's youngest passes (CPython's default: 700).
YOUNG_GENERATION = 10_000


def tune_garbage_collector() -> None:
    """Leave what a server built at start (its modules, its app) out of the garbage
    collector's full passes, and pass over the youngest objects less often: a full pass
    walks every tracked object while the event loop waits, and frequent young passes
    promote the objects of requests in flight, which brings full passes sooner. Both
    showed as stalls of every socket at once (docs/benchmarks.md, "Live clients")."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION, middle, old)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """The event loop every command runs on: uvloop's (everywhere but Windows), on which
    aiohttp serves and sends with less CPU than on asyncio's own (docs/benchmarks.md,
    "API"); both are asyncio loops, so nothing else in chinwag depends on which."""
    if sys.platform == "win32":
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def say(message: str) -> None:
    """Print for the person (or supervisor) watching, flushed at once even into a pipe."""
    out = console()
    out.print(message)
    out.file.flush()


def open_migrated(database_url: str, pool_size: int = DEFAULT_POOL_SIZE) -> Database:
    """Migrate to the latest schema, then open; exits with a message on a bad URL.

    Called outside any event loop: migrations on PostgreSQL run a loop of their own.
    """
    try:
        upgrade(database_url)
        return open_database(database_url, pool_size)
    except UnsupportedDatabase as error:
        console().print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None


def with_database(
    database_url: str, use: Callable[[Database], Awaitable[T]], pool_size: int = DEFAULT_POOL_SIZE
) -> T:
    """Open the migrated database, run `use` on it in an event loop, and close it."""
    database = open_migrated(database_url, pool_size)

    async def run() -> T:
        try:
            return await use(database)
        finally:
            await database.close()

    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(run())
