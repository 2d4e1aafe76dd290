"""SQLite's log is checkpointed in a thread, every so many commits, and starts over."""

import asyncio
import sqlite3
from pathlib import Path

from chinwag.store.checkpoints import INLINE_CHECKPOINT_PAGES, WalCheckpoints
from chinwag.store.database import SqliteDatabase
from chinwag.store.migrate import upgrade


async def log_size_after_commits(path: Path, checkpoints: WalCheckpoints | None) -> int:
    """The log's size after 300 commits, SQLite's own checkpoints off, each checkpoint
    let finish before the next commit (a commit during one keeps the log from starting
    over: the inline bound covers a steady stream of commits)."""
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT)")
    for _ in range(300):
        writer.execute("INSERT INTO rows (body) VALUES (?)", ("x" * 2000,))
        if checkpoints is not None:
            checkpoints.committed()
            await checkpoints.finished()
    if checkpoints is not None:
        await checkpoints.close()
    size = path.with_name(path.name + "-wal").stat().st_size
    writer.close()
    return size


def test_checkpoints_in_a_thread_let_the_log_start_over(tmp_path: Path) -> None:
    unchecked = asyncio.run(log_size_after_commits(tmp_path / "unchecked.db", None))
    path = tmp_path / "checked.db"
    checked = asyncio.run(log_size_after_commits(path, WalCheckpoints(str(path), every=20)))
    # Without checkpoints the log holds all 300 commits; with them, 20 at a time.
    assert checked < unchecked / 4, (checked, unchecked)


def test_the_writer_checkpoints_inline_only_at_the_bound(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bound.db'}"
    upgrade(url)

    async def writer_setting() -> int:
        database = SqliteDatabase(url)
        try:
            rows = await database.write(
                lambda conn: conn.exec_driver_sql("PRAGMA wal_autocheckpoint").all()
            )
            return int(rows[0][0])
        finally:
            await database.close()

    assert asyncio.run(writer_setting()) == INLINE_CHECKPOINT_PAGES
