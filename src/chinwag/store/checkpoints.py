"""SQLite's checkpoints on a thread of their own.

A checkpoint copies the pages the write-ahead log holds into the database file and
syncs the file. SQLite runs one inside the commit that takes the log past 1,000 pages;
on chinwag's writer that commit runs on the event loop, so every request in flight
would wait for the copy and its fsync. Here a thread runs them instead, soon after
commits, as PASSIVE checkpoints (writers and readers carry on meanwhile; the thread
holds no lock a writer needs). The writer keeps SQLite's own checkpoint at a larger
size (`BACKSTOP_PAGES`) only for when the thread falls behind a steady stream of
commits: with no pause between commits, a checkpoint that never catches up with the
log would leave it growing.
"""

import logging
import threading
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("chinwag.store")

# Seconds between two checkpoints: commits that close together share one, yet the thread
# catches up with the log often enough between the writer's commits for SQLite to start
# the log over (a long log slows every read; docs/benchmarks.md has the figures).
CHECKPOINT_PAUSE = 0.005
BACKSTOP_PAGES = 10_000  # the writer's own `wal_autocheckpoint`: a log of about 40 MB


class Checkpointer:
    """Checkpoints the database `connect` opens, on its own thread, after `committed()`."""

    def __init__(self, connect: Callable[[], Any]) -> None:
        self._connect = connect  # a DB-API connection, opened and used on the thread
        self._due = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chinwag-checkpoints", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        """A commit added pages to the log: checkpoint them soon."""
        self._due.set()

    def stop(self) -> None:
        self._stopping.set()
        self._due.set()
        self._thread.join()

    def _run(self) -> None:
        conn = self._connect()
        try:
            while True:
                self._due.wait()
                if self._stopping.is_set():
                    return
                self._due.clear()
                try:
                    cursor = conn.cursor()
                    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    cursor.close()
                except Exception:  # a busy or vanished file: the next commit asks again
                    logger.exception("checkpoint failed")
                if self._stopping.wait(CHECKPOINT_PAUSE):
                    return
        finally:
            conn.close()
