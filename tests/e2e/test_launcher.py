"""chinwag.launcher: a forked command behaves as `python -m chinwag` would, and ends with
the process that launched it."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chinwag.launcher import launch, run
from chinwag.testing import LiveServer


def test_a_forked_command_answers_as_python_m_chinwag_does(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "60"}
    database = f"sqlite:///{tmp_path / 'a.db'}"
    run(["accounts", "create", "--database", database], env, timeout=60).check_returncode()
    for args in (
        ["migrate", "--database", "mysql://nowhere/db"],  # an error, exit code 2
        ["accounts", "list", "--database", database],  # a table as wide as COLUMNS
    ):
        forked = run(args, env, timeout=60)
        spawned = subprocess.run(
            [sys.executable, "-m", "chinwag", *args], env=env, capture_output=True, text=True
        )
        assert forked.returncode == spawned.returncode, args
        assert forked.stdout == spawned.stdout, args
        assert forked.stderr == spawned.stderr, args
        assert forked.returncode == (2 if args[0] == "migrate" else 0)


def test_the_exit_code_of_a_signalled_command_is_minus_the_signal(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "chinwag.db")
    server.start()
    assert server.stop(signal.SIGKILL) == -signal.SIGKILL
    server.start()
    assert server.stop() == 0  # SIGTERM: a clean stop


def test_a_command_runs_in_the_callers_directory_with_its_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {**os.environ, "CHINWAG_DATABASE_URL": "sqlite:///relative.db"}
    command = launch(["migrate"], env, tmp_path / "migrate.log")
    assert command.wait(60) == 0, (tmp_path / "migrate.log").read_text()
    assert (tmp_path / "relative.db").exists()


def test_commands_stop_when_the_process_that_launched_them_exits(tmp_path: Path) -> None:
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from chinwag.testing import LiveServer\n"
        f"server = LiveServer(Path({str(tmp_path / 'orphan.db')!r}))\n"
        "server.start()\n"
        "print(server.process.pid, flush=True)\n"
        "os._exit(0)  # no stop, no clean-up\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    pid = int(done.stdout)
    deadline = time.monotonic() + 20
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{pid}").exists(), "the server outlived the process that started it"
