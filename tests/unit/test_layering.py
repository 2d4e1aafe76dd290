"""Data moves one way: resources -> domain -> store -> twilio; delivery -> store, twilio.

Every top-level module and package of chinwag has a rule: which of the others it may
import. A rule is per package, so a module added to a package falls under it; a new
top-level module or package fails `test_every_module_has_a_rule` until it gets one.
"""

import ast
from pathlib import Path

import pytest

import chinwag

PACKAGE = Path(chinwag.__file__).parent
PARTS = {
    "__init__",
    "__main__",
    "app",
    "cli",
    "config",
    "delivery",
    "launcher",
    "domain",
    "logs",
    "metrics",
    "resources",
    "store",
    "testing",
    "timers",
    "twilio",
    "twilsock",
    "ui",
}
# What runs chinwag may import every part of it; nothing imports what runs it.
ENTRY_POINTS = {"app", "cli", "__main__", "launcher", "testing"}
ALLOWED: dict[str, set[str]] = {
    "__init__": set(),
    "twilio": set(),  # the wire format: Twilio's errors, forms, paging, SIDs, dates
    "logs": set(),
    "store": {"twilio"},
    "domain": {"twilio", "store"},
    "delivery": {"twilio", "store"},
    # Pre-event webhooks are asked synchronously, from the request path.
    "resources": {"twilio", "store", "domain", "delivery"},
    "metrics": {"twilio", "store"},
    # The client SDK's socket, a front door like resources/ (whose pre-event asking it
    # shares); store only for the Database and the change feed's records.
    "twilsock": {"twilio", "store", "domain", "delivery", "resources"},
    # Timers run on the periodic runner the delivery retention also uses.
    "timers": {"twilio", "store", "domain", "delivery"},
    # Settings take each part's defaults (retry schedule, lease, retention, pool size, logs).
    "config": {"delivery", "store", "logs"},
    # The dashboard renders through the store and changes through the same domain and
    # resource calls as the REST API (the inbound path, pre-event webhooks).
    "ui": {"twilio", "store", "domain", "resources"},
    # The pytest plugin runs `chinwag serve` as a process: it needs only SIDs.
    "testing": {"twilio", "launcher"},
    # Forks `chinwag` commands from a process that has run one and built the app.
    "launcher": (PARTS - ENTRY_POINTS) | {"app", "cli"},
    "app": PARTS - ENTRY_POINTS,
    "cli": (PARTS - ENTRY_POINTS) | {"app"},
    "__main__": {"cli"},
}


def part_of(path: Path) -> str:
    """The top-level module or package `path` belongs to."""
    first = path.relative_to(PACKAGE).parts[0]
    return first.removesuffix(".py")


def imported_parts(path: Path) -> set[str]:
    """The top-level parts of chinwag that the module at `path` imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "chinwag":  # from chinwag import config
                found |= {alias.name for alias in node.names}
            elif node.module.startswith("chinwag."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("chinwag.")}
    return found


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_rule() -> None:
    assert {part_of(path) for path in modules()} == PARTS
    assert set(ALLOWED) == PARTS


def test_relative_imports_are_not_used() -> None:
    """They would hide a module's imports from the rules below."""
    for path in modules():
        tree = ast.parse(path.read_text())
        relative = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level]
        assert not relative, path.relative_to(PACKAGE)


@pytest.mark.parametrize("part", sorted(PARTS))
def test_each_part_imports_only_what_its_rule_allows(part: str) -> None:
    allowed = ALLOWED[part]
    for path in modules():
        if part_of(path) != part:
            continue
        imports = imported_parts(path) - {part}
        assert imports <= allowed, f"{path.relative_to(PACKAGE)} imports {imports - allowed}"
