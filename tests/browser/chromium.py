"""Debian's Chromium for the dashboard's browser tests: found, or installed when missing.

Playwright drives the system's `/usr/bin/chromium` (`executable_path`), so no
`playwright install` download is needed. When it is missing and we are root (CI),
`apt-get install -y chromium` installs it; otherwise the tests fail saying how to.
"""

import os
import shutil
import subprocess
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling home on a closed network.
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOW_TO_INSTALL = (
    "The dashboard's browser tests need Debian's Chromium at /usr/bin/chromium: "
    "run `apt-get install -y chromium` as root (CI does this by itself when run as root)."
)


def _apt_get(*args: str) -> bool:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(["apt-get", *args], env=env, capture_output=True, timeout=900)
    return done.returncode == 0


def ensure_chromium() -> Path | None:
    """The Chromium executable, installed with apt-get when missing and allowed; None if
    there is none and it could not be installed."""
    if CHROMIUM.exists():
        return CHROMIUM
    can_install = os.geteuid() == 0 and shutil.which("apt-get") is not None
    # A fresh machine (CI's container) may need the package lists first.
    if can_install and not _apt_get("install", "-y", "chromium"):
        _apt_get("update")
        _apt_get("install", "-y", "chromium")
    return CHROMIUM if CHROMIUM.exists() else None
