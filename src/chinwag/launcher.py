"""`chinwag` commands run in processes forked from one that has chinwag imported already.

A `python -m chinwag serve` spends most of its start importing (docs/benchmarks.md,
"Start-up"), and a test suite starts many servers. So the first launch starts a fork
server, `python -m chinwag.launcher`, which imports the CLI and runs one command once
(`_warm_up`), then forks each command asked of it: the command starts with its imports
done. The fork server starts
no thread (a fork copies only the thread that forks), is told what to run one JSON line
at a time on its standard input, and answers on its standard output with each child's
pid and, later, its exit code. When the process that started it exits, its standard
input ends and it stops the commands still running. Commands run chinwag as it was
when the fork server started: an edit to chinwag's own source shows from the next
test session on.

(`multiprocessing`'s "forkserver" start method does much the same, but re-imports the
parent's main script in every child: a script without an `if __name__ == "__main__"`
guard would start servers from its servers.)
"""

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from subprocess import CompletedProcess
from typing import IO, Any

# Seconds the commands still running get to stop after SIGTERM when the fork server ends.
STOP_GRACE = 10.0


class Launched:
    """A `chinwag` command running in a forked process: what `subprocess.Popen` offers
    for a process whose output goes to a file."""

    def __init__(self, server: "ForkServer", pid: int) -> None:
        self._server = server
        self.pid = pid

    @property
    def returncode(self) -> int | None:
        """The exit code once it has exited: negative for the signal that ended it."""
        return self._server.exit_code(self.pid, timeout=0)

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        code = self._server.exit_code(self.pid, timeout)
        if code is None:
            raise subprocess.TimeoutExpired(["chinwag"], timeout or 0.0)
        return code

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:  # not to a pid that may be another's by now
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkServer:
    """This process's end of a `python -m chinwag.launcher`."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "chinwag.launcher"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._asking = threading.Lock()  # one request and its pid at a time
        self._answered = threading.Condition()
        self._started: list[int] = []
        self._exit_codes: dict[int, int] = {}
        self._gone = False
        threading.Thread(target=self._read_answers, name="chinwag-launcher", daemon=True).start()

    def alive(self) -> bool:
        return not self._gone and self._process.poll() is None

    def fork(self, args: list[str], env: Mapping[str, str], output: Path, errors: Path) -> int:
        request = {
            "args": args,
            "env": dict(env),
            "cwd": os.getcwd(),
            "output": str(output),
            "errors": str(errors),
        }
        assert self._process.stdin is not None
        with self._asking:
            self._process.stdin.write(json.dumps(request).encode() + b"\n")
            self._process.stdin.flush()
            with self._answered:
                if not self._answered.wait_for(lambda: self._started or self._gone, 60):
                    raise RuntimeError("the chinwag fork server did not answer in 60 s")
                if not self._started:
                    raise RuntimeError("the chinwag fork server exited")
                return self._started.pop()

    def exit_code(self, pid: int, timeout: float | None) -> int | None:
        with self._answered:
            self._answered.wait_for(lambda: pid in self._exit_codes or self._gone, timeout)
            return self._exit_codes.get(pid)

    def _read_answers(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            answer = json.loads(line)
            with self._answered:
                if "started" in answer:
                    self._started.append(answer["started"])
                else:
                    self._exit_codes[answer["pid"]] = answer["code"]
                self._answered.notify_all()
        with self._answered:
            self._gone = True
            self._answered.notify_all()


_server: ForkServer | None = None
_server_lock = threading.Lock()


def launch(
    args: list[str], env: Mapping[str, str], output: Path, errors: Path | None = None
) -> Launched:
    """Start `chinwag *args` with exactly `env` as its environment, in this process's
    working directory, its standard output appended to `output` and its standard error
    to `errors` (by default `output` too)."""
    global _server
    with _server_lock:
        if _server is None or not _server.alive():
            _server = ForkServer()
        server = _server
    return Launched(server, server.fork(args, env, output, errors or output))


def run(args: list[str], env: Mapping[str, str], timeout: float) -> "CompletedProcess[str]":
    """`chinwag *args` to its end, as `subprocess.run(..., capture_output=True, text=True)`
    would run `python -m chinwag *args`; killed after `timeout` seconds."""
    with tempfile.TemporaryDirectory(prefix="chinwag-run-") as directory:
        output, errors = Path(directory, "stdout"), Path(directory, "stderr")
        command = launch(args, env, output, errors)
        try:
            code = command.wait(timeout)
        except subprocess.TimeoutExpired:
            command.kill()
            command.wait()
            raise
        return CompletedProcess(["chinwag", *args], code, output.read_text(), errors.read_text())


# The fork server's side: `python -m chinwag.launcher`.


def serve() -> None:
    """Fork a command for each request on stdin; report pids and exit codes on stdout."""
    _warm_up()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is its parent's to handle
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)  # only to wake the select
    signal.set_wakeup_fd(wake_write)
    answers = sys.stdout.buffer
    running: set[int] = set()
    pending = b""
    with selectors.DefaultSelector() as selector:
        selector.register(sys.stdin.fileno(), selectors.EVENT_READ)
        selector.register(wake_read, selectors.EVENT_READ)
        while True:
            ready = {key.fd for key, _ in selector.select()}
            if wake_read in ready:
                os.read(wake_read, 4096)
                _reap(running, answers)
            if sys.stdin.fileno() not in ready:
                continue
            data = os.read(sys.stdin.fileno(), 65536)
            if not data:  # the parent has gone
                _stop_all(running)
                return
            pending += data
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                pid = os.fork()
                if pid == 0:
                    os.close(wake_read)
                    os.close(wake_write)
                    _run_child(json.loads(line))
                running.add(pid)
                _answer(answers, {"started": pid})


def _warm_up() -> None:
    """Do once, before any fork, what each command would otherwise do after it: import
    the CLI and what typer imports on a command's first run, create a schema (on an
    in-memory database), build the app and print through rich (`re` keeps the route
    table's and rich's patterns compiled)."""
    from chinwag.app import build_app
    from chinwag.cli.common import say
    from chinwag.config import Settings
    from chinwag.store.database import open_database

    answers = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    try:
        _exit_code(["migrate", "--database", "sqlite://"])
        build_app(Settings(), open_database("sqlite://"))
        say("[bold]warm[/bold]")
    finally:
        sys.stdout.flush()
        os.dup2(answers, 1)
        os.close(answers)
        os.close(null)


def _answer(answers: IO[bytes], answer: dict[str, int]) -> None:
    try:
        answers.write(json.dumps(answer).encode() + b"\n")
        answers.flush()
    except BrokenPipeError:  # the parent has gone: stdin's end says so next
        pass


def _reap(running: set[int], answers: IO[bytes]) -> None:
    while running:
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            return
        running.discard(pid)
        _answer(answers, {"pid": pid, "code": os.waitstatus_to_exitcode(status)})


def _stop_all(running: set[int]) -> None:
    for pid in running:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE
    while running and time.monotonic() < deadline:
        pid, _ = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            time.sleep(0.05)
        running.discard(pid)
    for pid in running:
        os.kill(pid, signal.SIGKILL)


def _run_child(request: dict[str, Any]) -> None:
    """In the forked process: the fork server's signal handling undone, the environment,
    directory and output asked for, then the command; never returns."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for fd, path in ((1, request["output"]), (2, request["errors"])):
            opened = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.dup2(opened, fd)
            os.close(opened)
        os.close(null)
        code = _exit_code(request["args"])
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _exit_code(args: list[str]) -> int:
    """Run the command as `python -m chinwag` would; the exit code it would have."""
    from chinwag.cli import main

    try:
        main(args)
    except SystemExit as exit:
        if exit.code is None or isinstance(exit.code, int):
            return exit.code or 0
        print(exit.code, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    serve()
