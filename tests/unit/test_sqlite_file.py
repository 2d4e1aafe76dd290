"""The SQLite file and its -wal and -shm are owner-only (0600): they hold auth tokens and
API key secrets."""

import asyncio
import logging
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from chinwag.cli import app
from chinwag.domain.accounts import create_account
from chinwag.logs import extra_fields
from chinwag.store.database import open_database
from chinwag.store.migrate import upgrade
from chinwag.store.sqlite_file import database_file

FILES = ("", "-wal", "-shm")


def modes(path: Path) -> dict[str, str]:
    """Each of the file, its -wal and its -shm: its permission bits, in octal."""
    return {suffix: f"{stat.S_IMODE(os.stat(f'{path}{suffix}').st_mode):o}" for suffix in FILES}


async def write_an_account(url: str) -> None:
    database = open_database(url)
    try:
        await database.write(create_account, "private")
        # The WAL and its index exist while a connection is open (the last close removes them).
        assert modes(Path(url.removeprefix("sqlite:///"))) == dict.fromkeys(FILES, "600")
    finally:
        await database.close()


def test_a_new_database_file_and_its_wal_and_shm_are_owner_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    upgrade(url)  # what `chinwag serve` and every command do first
    assert stat.S_IMODE((tmp_path / "new.db").stat().st_mode) == 0o600
    asyncio.run(write_an_account(url))


def test_chinwag_migrate_makes_an_owner_only_file(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'cli.db'}"
    assert CliRunner().invoke(app, ["migrate", "--database", database]).exit_code == 0
    assert stat.S_IMODE((tmp_path / "cli.db").stat().st_mode) == 0o600


def test_an_existing_loose_file_and_its_companions_are_tightened_once_with_a_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path, url = tmp_path / "old.db", f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url)
    holder = sqlite3.connect(path)  # keeps the -wal and -shm while they are loosened
    try:
        holder.execute("SELECT count(*) FROM accounts").fetchone()
        for suffix in FILES:  # as a chinwag before this change left them
            os.chmod(f"{path}{suffix}", 0o644)
        with caplog.at_level(logging.WARNING, logger="chinwag.store"):
            asyncio.run(write_an_account(url))
    finally:
        holder.close()

    tightened = [r for r in caplog.records if "made owner-only" in r.getMessage()]
    assert sorted(extra_fields(r)["path"] for r in tightened) == sorted(f"{path}{s}" for s in FILES)
    assert {extra_fields(r)["mode"] for r in tightened} == {"644"}
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="chinwag.store"):
        asyncio.run(write_an_account(url))
    assert not [r for r in caplog.records if r.name == "chinwag.store"]  # said once


def test_a_missing_directory_is_left_to_sqlite_to_report(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nowhere' / 'chinwag.db'}"
    with pytest.raises(OperationalError, match="unable to open database file"):
        upgrade(url)
    assert not (tmp_path / "nowhere").exists()  # chinwag makes no directory


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///chinwag.db", "chinwag.db"),
        ("sqlite:////var/lib/chinwag/chinwag.db", "/var/lib/chinwag/chinwag.db"),
        ("sqlite:///file:data/chinwag.db?uri=true", "data/chinwag.db"),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("sqlite:///file:shared?mode=memory&uri=true", None),
    ],
)
def test_the_file_an_sqlite_url_names(url: str, path: str | None) -> None:
    assert database_file(url) == (Path(path) if path is not None else None)
