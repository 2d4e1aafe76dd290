"""Data moves one way: transports -> operations -> domain -> store -> twilio; delivery ->
store, twilio.

The three transports (resources/ the REST API, twilsock/ the SDK's socket, ui/ the
dashboard) sit side by side: none imports another. What they all need is below them:
`operations/` (addressing, pre-event asking, the inbound path; transport-free, so no
aiohttp request), `request_context` (the aiohttp glue: the app's shared objects, a
request's parameters) and `domain/` (the actor, the rules).

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
    "operations",
    "request_context",
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
    # What every transport does alike, taking an actor: pre-event webhooks are asked
    # synchronously, from the request path, so through delivery's sender.
    "operations": {"twilio", "store", "domain", "delivery"},
    # The aiohttp glue every transport shares: app keys for the database, the sender
    # (delivery), the carrier and the failed-auth count (domain); form and query readers.
    "request_context": {"twilio", "store", "domain", "delivery"},
    "resources": {"twilio", "store", "domain", "delivery", "operations", "request_context"},
    "metrics": {"twilio", "store"},
    # The client SDK's socket, a front door like resources/; store only for the Database
    # and the change feed's records, delivery for the Sender it hands pre-event asking.
    "twilsock": {"twilio", "store", "domain", "delivery", "operations", "request_context"},
    # Timers run on the periodic runner the delivery retention also uses.
    "timers": {"twilio", "store", "domain", "delivery"},
    # Settings take each part's defaults (retry schedule, lease, retention, pool size, logs).
    "config": {"delivery", "store", "logs"},
    # The dashboard renders through the store and changes through the same operations and
    # domain calls as the REST API (the inbound path, pre-event webhooks).
    "ui": {"twilio", "store", "domain", "operations", "request_context"},
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


TRANSPORTS = {"resources", "twilsock", "ui"}
# What the operations may not see: a transport's request (they take what they need).
WEB_SERVER = {"aiohttp.web", "aiohttp.web_request", "aiohttp.web_app"}


def imported_modules(path: Path) -> set[str]:
    """Every module the module at `path` imports, `from a import b` counted as `a.b`."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
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


@pytest.mark.parametrize("transport", sorted(TRANSPORTS))
def test_no_transport_imports_another(transport: str) -> None:
    """REST, the SDK's socket and the dashboard share only what is below them."""
    assert not (ALLOWED[transport] & TRANSPORTS)
    for path in modules():
        if part_of(path) == transport:
            others = imported_parts(path) & (TRANSPORTS - {transport})
            assert not others, f"{path.relative_to(PACKAGE)} imports {others}"


def test_below_the_transports_nothing_imports_them() -> None:
    """What every transport needs (operations, the request glue, the rules) is theirs to
    call, never the other way round."""
    for part in ("operations", "request_context", "domain", "store", "delivery", "twilio"):
        assert not (ALLOWED[part] & TRANSPORTS), part
        assert "operations" not in ALLOWED[part] or part == "operations", part


def test_operations_never_see_a_web_request() -> None:
    """Operations take the database, the sender, the actor and the base URL explicitly."""
    for path in modules():
        if part_of(path) == "operations":
            served = imported_modules(path) & WEB_SERVER
            assert not served, f"{path.relative_to(PACKAGE)} imports {served}"
