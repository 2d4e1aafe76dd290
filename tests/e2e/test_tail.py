"""`chinwag deliveries tail` follows the attempt log of a running server."""

import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chinwag.launcher import launch
from chinwag.testing import STARTUP_TIMEOUT, WebhookReceiver
from tests.conftest import Api, app_and_receiver, wait_until
from tests.e2e.test_deliveries_api import rename, settled, watched_conversation
from tests.inprocess import AppServer

Setup = tuple[AppServer, WebhookReceiver, Api]


@pytest.fixture
def setup(database_url: str) -> Iterator[Setup]:
    """A server that retries once after 0.2 s, and a receiver for it."""
    with app_and_receiver(database_url, retry_schedule=(0.2,)) as pair:
        yield *pair, Api(pair[0])


class Tail:
    """`chinwag deliveries tail` in a process of its own (forked by chinwag's launcher, with
    Ctrl-C's default handling), its output followed line by line."""

    def __init__(self, server: AppServer, directory: Path, *args: str, **env: str) -> None:
        self.output, self.errors = directory / "tail.out", directory / "tail.err"
        for path in (self.output, self.errors):
            path.unlink(missing_ok=True)
        command = ["deliveries", "tail", *args, "--database", server.database_url]
        self.process = launch(command, {**os.environ, **env}, self.output, self.errors)
        self.lines: list[str] = []
        self._read = 0  # lines of the output already looked at
        self.header = self.next_line(
            lambda line: "Following delivery attempts" in line, timeout=STARTUP_TIMEOUT
        )

    def next_line(self, wanted: Callable[[str], bool], timeout: float = 10.0) -> str:
        """The next line that is `wanted`; earlier ones are kept in `lines`."""

        def found() -> str | None:
            text = self.output.read_text() if self.output.exists() else ""
            complete = text.splitlines()[: text.count("\n")]
            for line in complete[self._read :]:
                self._read += 1
                self.lines.append(line)
                if wanted(line):
                    return line
            return None

        try:
            line: str = wait_until(found, timeout, "a line from tail")
        except AssertionError:  # say what did come, as of now
            raise AssertionError(f"no such line from tail; got {self.lines}") from None
        return line

    def interrupt(self) -> tuple[int, str]:
        """Ctrl-C; the exit code and what was written to stderr."""
        self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(f"tail ignored Ctrl-C: {self.errors.read_text()}") from None
        return code, self.errors.read_text()


def test_tail_streams_each_new_attempt_as_a_plain_line_and_stops_on_ctrl_c(
    setup: Setup, tmp_path: Path
) -> None:
    server, receiver, api = setup
    before, _ = watched_conversation(api, receiver.url + "/before")
    rename(api, before, "before tail")
    [old] = settled(api, 1)
    tail = Tail(server, tmp_path, "--no-color")

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


def test_tail_since_replays_the_log_filtered_by_outcome_and_conversation(
    setup: Setup, tmp_path: Path
) -> None:
    server, receiver, api = setup
    receiver.answers = [404, 200]
    refused, _ = watched_conversation(api, receiver.url + "/refused")
    accepted, _ = watched_conversation(api, receiver.url + "/accepted")
    rename(api, refused, "first")
    settled(api, 1, "failed")
    rename(api, accepted, "second")
    settled(api, 1, "delivered")

    only_failed = Tail(server, tmp_path, "--since", "2000-01-01T00:00:00Z", "--status", "failed")
    line = only_failed.next_line(lambda line: "#1" in line)
    assert "/refused" in line and "404" in line
    receiver.answers = [404]
    rename(api, refused, "marker")  # the next failure shows after everything before it
    only_failed.next_line(lambda line: "#1" in line)
    assert not any("/accepted" in line for line in only_failed.lines)
    assert only_failed.interrupt()[0] == 0

    coloured = Tail(
        server, tmp_path, "--since", "2000-01-01", "--conversation", accepted, FORCE_COLOR="1"
    )
    line = coloured.next_line(lambda line: "/accepted" in line)
    assert "\x1b[32m" in line and "delivered" in line  # green on a terminal
    assert coloured.interrupt()[0] == 0
    with pytest.raises(subprocess.CalledProcessError):
        server.cli("deliveries", "tail", "--since", "yesterday")
