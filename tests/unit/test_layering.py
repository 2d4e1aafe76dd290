"""Data moves one way: resources -> domain -> store -> twilio; delivery -> store, twilio."""

import ast
from pathlib import Path

import chinwag

PACKAGE = Path(chinwag.__file__).parent
ALLOWED = {
    "twilio": set(),
    "store": {"twilio", "store"},
    "domain": {"twilio", "store", "domain"},
    # Pre-event webhooks are asked synchronously, from the request path.
    "resources": {"twilio", "store", "domain", "resources", "delivery"},
    "delivery": {"twilio", "store", "delivery"},
}


def chinwag_imports(path: Path) -> set[str]:
    layers = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("chinwag."):
            layers.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            layers |= {a.name.split(".")[1] for a in node.names if a.name.startswith("chinwag.")}
    return layers


def test_import_direction() -> None:
    for layer, allowed in ALLOWED.items():
        for path in (PACKAGE / layer).rglob("*.py"):
            layer_imports = chinwag_imports(path) - {layer}
            assert layer_imports <= allowed, (
                f"{path.relative_to(PACKAGE)} imports {layer_imports - allowed}"
            )
