"""The SQLite database file, kept private to its owner: it holds auth tokens and key secrets.

Before SQLite opens the file, chinwag creates it owner-only (0600) if it is missing,
and tightens it if group or others may read or write it, saying so in the log. The
`-wal` and `-shm` files SQLite makes get the database file's own permissions (its
unix VFS copies them, `findCreateFileMode`); ones left from a looser time are
tightened with it. chinwag creates no directory: SQLite refuses a path whose
directory is missing, in its own words.
"""

import logging
import os
import stat
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy.engine import make_url

logger = logging.getLogger("chinwag.store")

PRIVATE = 0o600
OTHERS = stat.S_IRWXG | stat.S_IRWXO
COMPANIONS = ("-wal", "-shm", "-journal")


def database_file(url: str) -> Path | None:
    """The file an SQLite URL names; None for an in-memory database."""
    parsed = make_url(url)
    name = parsed.database or ""
    if name.startswith("file:"):  # a URI filename (`?uri=true`)
        name = unquote(urlsplit(name).path)
    if name in ("", ":memory:") or parsed.query.get("mode") == "memory":
        return None
    return Path(name)


def make_private(path: Path) -> None:
    """Create `path` owner-only if it is missing; tighten it and its companions if loose."""
    try:
        created = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    except FileExistsError:
        pass
    except OSError:  # a missing directory, say: SQLite reports it when it opens the file
        return
    else:
        os.close(created)
        path.chmod(PRIVATE)  # exactly: a umask may have taken the owner's write away
    for file in (path, *(path.with_name(path.name + suffix) for suffix in COMPANIONS)):
        _tighten(file)


def _tighten(file: Path) -> None:
    try:
        mode = stat.S_IMODE(file.stat().st_mode)
    except OSError:  # no such companion
        return
    if not mode & OTHERS:
        return
    fields = {"path": str(file), "mode": f"{mode:o}"}
    try:
        file.chmod(mode & ~OTHERS)
    except OSError as error:
        logger.warning(
            "database file is open to group or others and could not be made owner-only",
            extra={**fields, "error": str(error)},
        )
        return
    logger.warning(
        "database file was open to group or others: made owner-only",
        extra={**fields, "now": f"{mode & ~OTHERS:o}"},
    )
