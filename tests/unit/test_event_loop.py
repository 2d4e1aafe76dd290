"""Commands run on uvloop's event loop (cli/common.py `new_event_loop`), off Windows."""

import asyncio
import sys
from pathlib import Path

import pytest

from chinwag.cli.common import with_database
from chinwag.store.database import Database

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uvloop is not built for Windows")


def test_a_command_on_the_database_runs_on_uvloop(tmp_path: Path) -> None:
    import uvloop

    async def running_loop(database: Database) -> type[asyncio.AbstractEventLoop]:
        return type(asyncio.get_running_loop())

    assert with_database(f"sqlite:///{tmp_path / 'loop.db'}", running_loop) is uvloop.Loop
