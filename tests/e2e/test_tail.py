"""`chinwag deliveries tail` follows the attempt log of a running server."""

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chinwag.testing import STARTUP_TIMEOUT, WebhookReceiver
from tests.conftest import Api, app_and_receiver
from tests.e2e.test_deliveries_api import rename, settled, watched_conversation
from tests.inprocess import AppServer

Setup = tuple[AppServer, WebhookReceiver, Api]


@pytest.fixture
def setup(database_url: str) -> Iterator[Setup]:
    """A server that retries once after 0.2 s, and a receiver for it."""
    with app_and_receiver(database_url, retry_schedule=(0.2,)) as pair:
        yield *pair, Api(pair[0])


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


class Tail:
    """`chinwag deliveries tail` in a subprocess; its output read line by line."""

    def __init__(self, server: AppServer, *args: str, env: dict[str, str] | None = None) -> None:
        command = [sys.executable, "-m", "chinwag", "deliveries", "tail", *args]
        self.process = subprocess.Popen(
            [*command, "--database", server.database_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
            # Ctrl-C as a terminal gives it, whatever this test process inherited or blocks.
            preexec_fn=_default_sigint,
        )
        self.lines: list[str] = []
        self._arrived: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        # A process of its own: on a loaded machine its start alone can take seconds.
        self.header = self.next_line(
            lambda line: "Following delivery attempts" in line, timeout=STARTUP_TIMEOUT
        )

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._arrived.put(line.rstrip("\n"))

    def next_line(self, wanted: Callable[[str], bool], timeout: float = 10.0) -> str:
        """The next line that is `wanted`; earlier ones are kept in `lines`."""
        while True:
            try:
                line = self._arrived.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no such line from tail; got {self.lines}") from None
            self.lines.append(line)
            if wanted(line):
                return line

    def interrupt(self) -> tuple[int, str]:
        """Ctrl-C; the exit code and what was written to stderr."""
        status = Path(f"/proc/{self.process.pid}/status")
        signals = [line for line in status.read_text().splitlines() if line.startswith("Sig")]
        self.process.send_signal(signal.SIGINT)
        try:
            _, stderr = self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, stderr = self.process.communicate()
            raise AssertionError(f"tail ignored Ctrl-C ({signals}): {stderr[-2000:]}") from None
        return self.process.returncode, stderr


def test_tail_streams_each_new_attempt_as_a_plain_line_and_stops_on_ctrl_c(setup: Setup) -> None:
    server, receiver, api = setup
    before, _ = watched_conversation(api, receiver.url + "/before")
    rename(api, before, "before tail")
    [old] = settled(api, 1)
    tail = Tail(server, "--no-color")

    receiver.answers = [500, 200, 404]
    flaky, _ = watched_conversation(api, receiver.url + "/flaky")
    rename(api, flaky, "retried")
    retrying = tail.next_line(lambda line: "retrying" in line)
    delivered = tail.next_line(lambda line: "delivered" in line)
    gone, _ = watched_conversation(api, receiver.url + "/gone")
    rename(api, gone, "refused")
    failed = tail.next_line(lambda line: "failed" in line)

    [first, _] = (r for r in receiver.requests if r.url.endswith("/flaky"))
    sid = first.headers["I-Twilio-Idempotency-Token"]
    assert retrying.split()[1:4] == ["retrying", "#1", "500"]
    assert delivered.split()[1:4] == ["delivered", "#2", "200"]
    assert failed.split()[1:4] == ["failed", "#1", "404"]
    for line in (retrying, delivered):
        assert line.endswith(f" ms  onConversationUpdated  {sid}  {receiver.url}/flaky"), line
    assert failed.endswith(f"  {receiver.url}/gone") and sid not in failed
    assert old["sid"] not in "\n".join(tail.lines)  # from now: earlier attempts are not shown
    assert all("\x1b" not in line for line in tail.lines)

    code, stderr = tail.interrupt()
    assert (code, stderr) == (0, "")


def test_tail_since_replays_the_log_filtered_by_outcome_and_conversation(setup: Setup) -> None:
    server, receiver, api = setup
    receiver.answers = [404, 200]
    refused, _ = watched_conversation(api, receiver.url + "/refused")
    accepted, _ = watched_conversation(api, receiver.url + "/accepted")
    rename(api, refused, "first")
    settled(api, 1, "failed")
    rename(api, accepted, "second")
    settled(api, 1, "delivered")

    only_failed = Tail(server, "--since", "2000-01-01T00:00:00Z", "--status", "failed")
    line = only_failed.next_line(lambda line: "#1" in line)
    assert "/refused" in line and "404" in line
    receiver.answers = [404]
    rename(api, refused, "marker")  # the next failure shows after everything before it
    only_failed.next_line(lambda line: "#1" in line)
    assert not any("/accepted" in line for line in only_failed.lines)
    assert only_failed.interrupt()[0] == 0

    coloured = Tail(
        server, "--since", "2000-01-01", "--conversation", accepted, env={"FORCE_COLOR": "1"}
    )
    line = coloured.next_line(lambda line: "/accepted" in line)
    assert "\x1b[32m" in line and "delivered" in line  # green on a terminal
    assert coloured.interrupt()[0] == 0
    with pytest.raises(subprocess.CalledProcessError):
        server.cli("deliveries", "tail", "--since", "yesterday")
