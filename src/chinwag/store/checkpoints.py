"""SQLite's WAL checkpoints, in a thread instead of on the event loop.

By default SQLite copies the write-ahead log back into the database file (a
checkpoint, ending in an fsync) inside the commit that takes the log past 1,000
pages: on the event loop, where every request queued behind that commit waits
out the disk (docs/benchmarks.md, "Latency at half load"). Instead, the database's
`WalCheckpoints` runs a PASSIVE checkpoint every `every` commits on a connection
of its own in a worker thread; PASSIVE neither waits for nor blocks readers and
writers, so commits go on meanwhile.

SQLite starts the log over only once a checkpoint has copied all of it, which a
checkpoint beside a steady stream of commits never does. So the writer keeps an
inline checkpoint, at `INLINE_CHECKPOINT_PAGES` (store/database.py), as the
bound on the log: by then the thread has copied all but its last pages, so that
commit's checkpoint is short, and the log starts over after it.
"""

import asyncio
import logging
import sqlite3

logger = logging.getLogger("chinwag.store")

# Commits between checkpoints. A create writes a handful of pages, so this copies
# about as much each time as SQLite's own checkpoint at 1,000 pages would.
CHECKPOINT_EVERY = 200
# The log's bound, in pages (4 KiB each), at which a commit checkpoints inline.
INLINE_CHECKPOINT_PAGES = 10_000


class WalCheckpoints:
    """Counts a database file's commits and checkpoints it in a thread every so many.

    Used from the event loop's thread only; at most one checkpoint runs at a time.
    """

    def __init__(self, path: str, every: int = CHECKPOINT_EVERY) -> None:
        self._path = path
        self._every = every
        self._commits = 0
        self._checkpointing = False  # set here, cleared by the thread when it is done
        self._running: asyncio.Future[None] | None = None
        self._connection: sqlite3.Connection | None = None

    def committed(self) -> None:
        """One more commit; start a checkpoint if it is time and none is running."""
        self._commits += 1
        if self._commits < self._every or self._checkpointing:
            return
        self._commits, self._checkpointing = 0, True
        self._running = asyncio.get_running_loop().run_in_executor(None, self._checkpoint)

    def _checkpoint(self) -> None:
        try:
            if self._connection is None:  # one thread at a time uses it, never two at once
                self._connection = sqlite3.connect(self._path, check_same_thread=False)
            self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:  # the next one tries again; the inline bound holds meanwhile
            logger.exception("checkpointing the SQLite log failed")
        finally:
            self._checkpointing = False

    async def finished(self) -> None:
        """Return once the checkpoint running, if any, is done."""
        if self._running is not None:
            await self._running

    async def close(self) -> None:
        await self.finished()
        if self._connection is not None:
            self._connection.close()
            self._connection = None
