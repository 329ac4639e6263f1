"""The clinical core (facts, rules, cards) is pure: no web framework, no HTTP client, no clock.
File reads happen only in the start-up loaders (value sets, rules)."""

from __future__ import annotations

import ast

from tests.conftest import ROOT

PACKAGE = ROOT / "service" / "sarcoma_cds"
CORE = [
    *sorted((PACKAGE / "clinical").glob("*.py")),
    *sorted((PACKAGE / "rules").glob("*.py")),
    *sorted((PACKAGE / "cards").glob("*.py")),
    PACKAGE / "pipeline.py",
    PACKAGE / "fhir" / "projection.py",
    PACKAGE / "fhir" / "prefetch.py",
]
FORBIDDEN_IMPORTS = ("fastapi", "starlette", "uvicorn", "httpx", "requests", "sqlalchemy")
CLOCK_CALLS = {("date", "today"), ("datetime", "now"), ("datetime", "utcnow"), ("time", "time")}
STARTUP_LOADERS = {"valuesets.py", "loader.py", "dictionary.py"}


def _imports(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_core_modules_import_no_web_or_io_library() -> None:
    assert len(CORE) > 15
    for path in CORE:
        for name in _imports(ast.parse(path.read_text())):
            assert name.split(".")[0] not in FORBIDDEN_IMPORTS, f"{path.name} imports {name}"


def test_core_modules_read_no_clock_and_no_file_per_request() -> None:
    for path in CORE:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                pair = (owner.id if isinstance(owner, ast.Name) else "", node.func.attr)
                assert pair not in CLOCK_CALLS, f"{path.name} reads the clock: {pair}"
                if node.func.attr in ("read_text", "read_bytes", "open"):
                    assert path.name in STARTUP_LOADERS, f"{path.name} reads a file"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "open", f"{path.name} opens a file"
