"""Files a non-editable `pip install .` must ship are named by pyproject's package-data."""

import fnmatch
import tomllib
from pathlib import Path

import chinwag

PACKAGE = Path(chinwag.__file__).parent
PYPROJECT = PACKAGE.parent.parent / "pyproject.toml"


def test_every_dashboard_template_and_asset_is_package_data() -> None:
    patterns = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["package-data"]["chinwag"]
    shipped = [
        path.relative_to(PACKAGE).as_posix()
        for folder in ("ui/templates", "ui/static")
        for path in (PACKAGE / folder).rglob("*")
        if path.is_file()
    ]
    assert shipped
    missing = [f for f in shipped if not any(fnmatch.fnmatch(f, p) for p in patterns)]
    assert missing == []
    # setuptools' "*" does not descend into folders: keep the assets flat.
    assert all(f.count("/") == 2 for f in shipped), shipped
