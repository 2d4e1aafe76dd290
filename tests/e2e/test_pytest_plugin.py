"""The pytest plugin (chinwag.testing) as a project that installs chinwag uses it: each
test that asks for `chinwag_client` starts from a clean slate.

Runs pytest in a subprocess, outside this repository's conftest, so the plugin's own
fixtures serve (a `chinwag serve` on a fresh SQLite file).
"""

import subprocess
import sys
from pathlib import Path

import pytest

TESTS = """
def test_one_makes_a_conversation_and_a_user(chinwag_client):
    conversations = chinwag_client.conversations.v1
    conversations.conversations.create(unique_name="{name}")
    conversations.users.create(identity="{name}")


def test_two_sees_none_of_them(chinwag_client):
    conversations = chinwag_client.conversations.v1
    assert conversations.conversations.list() == []
    assert conversations.users.list() == []
    conversations.conversations.create(unique_name="{name}")  # the name is free again
"""

# A project that replaced the fixture with one that does not reset: the check fails there.
WITHOUT_RESET = """
import pytest
from chinwag.testing import twilio_client

@pytest.fixture
def chinwag_client(chinwag_server):
    return twilio_client(chinwag_server)
"""


@pytest.mark.slow
def test_tests_using_chinwag_client_never_see_each_others_data(tmp_path: Path) -> None:
    for name in ("plugin", "without_reset"):  # run in this order, on one server
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("")
        (tmp_path / name / "test_bot.py").write_text(TESTS.format(name=name))
    (tmp_path / "without_reset" / "conftest.py").write_text(WITHOUT_RESET)
    pytest_command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rf"]
    done = subprocess.run(
        [*pytest_command, "plugin", "without_reset"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = done.stdout + done.stderr
    assert "1 failed, 3 passed" in output, output
    assert "FAILED without_reset/test_bot.py::test_two_sees_none_of_them" in output, output
