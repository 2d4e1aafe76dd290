"""The test PostgreSQL's data directories: named for the worker that owns them, so that
the next start removes those a killed run left (tests/databases.py)."""

import os
import shutil
import stat
import subprocess
from pathlib import Path

from tests.databases import (
    _new_data_directory,
    remove_stale_data_directories,
    stale_data_directories,
)


def dead_pid() -> int:
    """The pid of a process that has ended and been reaped."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_directory_is_stale_when_the_pid_in_its_name_is_not_alive() -> None:
    names = [
        "chinwag-postgres-100-abc_123",  # its worker is gone
        "chinwag-postgres-200-x1y2z3",  # its worker is alive
        "chinwag-postgres-300-",  # no suffix: not one of ours
        "chinwag-postgres-k2j3h4g5",  # no pid: not one of ours
        "chinwag-postgres.0.lock",
        "PostgreSQL.1234",
        "other-100-abc",
    ]
    assert stale_data_directories(names, live_pids={200}) == ["chinwag-postgres-100-abc_123"]
    assert stale_data_directories(names, live_pids={100, 200}) == []


def test_the_next_start_removes_only_the_directories_of_ended_processes(tmp_path: Path) -> None:
    gone = dead_pid()
    stale = tmp_path / f"chinwag-postgres-{gone}-abcd1234"
    (stale / "base").mkdir(parents=True)
    (stale / "postmaster.pid").write_text(f"{gone}\n{stale}\n")  # its server is not running
    live = tmp_path / f"chinwag-postgres-{os.getpid()}-efgh5678"
    live.mkdir()
    # Not a directory of its own: a link to somewhere else, left alone, as is its target.
    target = tmp_path / "elsewhere"
    target.mkdir()
    (tmp_path / f"chinwag-postgres-{gone}-link0000").symlink_to(target)

    removed = remove_stale_data_directories(tmp_path)

    assert [path.name for path in removed] == [stale.name]
    assert not stale.exists()
    assert live.is_dir() and target.is_dir()
    assert (tmp_path / f"chinwag-postgres-{gone}-link0000").is_symlink()


def test_a_new_directory_is_private_and_named_for_this_process() -> None:
    directory = _new_data_directory(owner=None)
    try:
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        assert stale_data_directories([directory.name], live_pids={os.getpid()}) == []
        assert stale_data_directories([directory.name], live_pids=set()) == [directory.name]
    finally:
        shutil.rmtree(directory)
