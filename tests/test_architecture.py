"""The service's layers, enforced.

1. Imports between the service's own packages run one way only, as the table below says: a
   package may import its own modules, the package root (`sarcoma_cds`: ids and labels), and
   the packages it is allowed to depend on, directly or through them. A backwards import (say
   `fhir` → `clinical`) fails here, naming the file and the import.
2. The clinical core (facts, rules, cards) is pure: no web framework, no HTTP client, no clock;
   file reads only in the start-up loaders (value sets, rules).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from graphlib import TopologicalSorter
from pathlib import Path

import pytest
from tests.conftest import ROOT

PACKAGE = ROOT / "service" / "sarcoma_cds"

# Each unit of the service (a sub-package or a top-level module) and what it may depend on.
# Lower layers first; the allowed set is the transitive closure of these edges.
LAYERS: dict[str, frozenset[str]] = {
    "paths": frozenset(),
    "values": frozenset(),  # dates, JWS algorithm names: shared by everything
    "demo": frozenset(),  # terminal rendering of CDS Hooks JSON
    "cds_hooks": frozenset(),  # the protocol's models and JSON rule
    "terminology": frozenset(),  # IDEA4RC value-set generator (build tool: FSH in, YAML out)
    "settings": frozenset({"paths", "values"}),
    "fhir": frozenset({"values", "settings"}),  # reading FHIR; fetching it from a server
    "clinical": frozenset({"values", "fhir"}),
    "rules": frozenset({"clinical"}),
    "cards": frozenset({"rules", "cds_hooks"}),
    "pipeline": frozenset({"cards", "settings"}),
    "database": frozenset(),  # opening the SQL database shared by feedback and replay ids
    "feedback": frozenset({"cds_hooks", "database"}),
    "security": frozenset({"settings", "database"}),
    "timeline": frozenset({"pipeline"}),  # the tumour-board view: model, layout, templates
    "smart": frozenset({"timeline", "security"}),  # SMART App Launch of the view
    # uvicorn's loop and HTTP protocol for `serve` (also the bench floor's): imports nothing
    "server_stack": frozenset(),
    # `serve`: start-up checks and uvicorn; names `web` only as strings (uvicorn imports it)
    "startup": frozenset({"pipeline", "feedback", "security", "server_stack"}),
    "web": frozenset({"pipeline", "feedback", "security", "smart", "startup"}),
    "population": frozenset({"pipeline"}),  # `screen`: Bulk Data export → worklist, report
    # never `web`: `serve` names it only as a string
    "cli": frozenset({"pipeline", "demo", "feedback", "timeline", "population", "startup"}),
}
ROOT_MODULE = "sarcoma_cds"


def allowed(unit: str, layers: Mapping[str, frozenset[str]] = LAYERS) -> frozenset[str]:
    """What `unit` may import: itself and everything below it in the table."""
    seen = {unit}
    todo = list(layers[unit])
    while todo:
        lower = todo.pop()
        if lower not in seen:
            seen.add(lower)
            todo.extend(layers[lower])
    return frozenset(seen)


def unit_of(module: str) -> str | None:
    """ "sarcoma_cds.clinical.dates" -> "clinical"; None for the package root or elsewhere."""
    parts = module.split(".")
    if parts[0] != ROOT_MODULE or len(parts) == 1:
        return None
    return parts[1]


def own_imports(tree: ast.AST, module: str) -> Iterator[tuple[int, str]]:
    """(line, imported module) for every import of the service's own code, relative ones
    resolved against `module`; function-level imports count too."""
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if base == ROOT_MODULE:  # `from sarcoma_cds import cli` imports a unit
                for alias in node.names:
                    yield node.lineno, f"{ROOT_MODULE}.{alias.name}"
            else:
                yield node.lineno, base


def backwards_imports(
    source: str, module: str, layers: Mapping[str, frozenset[str]] = LAYERS
) -> list[str]:
    """Every import in `source` (the text of `module`) that the layer table forbids."""
    unit = unit_of(module)
    assert unit is not None and unit in layers, f"{module}: {unit!r} has no layer"
    permitted = allowed(unit, layers)
    problems = []
    for line, imported in own_imports(ast.parse(source), module):
        target = unit_of(imported)
        # Names outside the table are the root's constants (SERVICE_ID, ...): allowed to all.
        if target is None or target in permitted or target not in layers:
            continue
        problems.append(f"{module}:{line} imports {imported} ({unit} may not use {target})")
    return problems


def service_modules() -> list[tuple[Path, str]]:
    modules = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules.append((path, ".".join(parts)))
    return modules


def test_the_layer_table_has_no_cycle() -> None:
    order = list(TopologicalSorter(LAYERS).static_order())
    assert set(order) == set(LAYERS)


def test_every_unit_of_the_service_has_a_layer() -> None:
    units = {unit_of(module) for _, module in service_modules()} - {None}
    assert units == set(LAYERS), "place the new package in LAYERS (lower layers first)"


def test_imports_follow_the_layers() -> None:
    problems = [
        problem
        for path, module in service_modules()
        if module != ROOT_MODULE
        for problem in backwards_imports(path.read_text(), module)
    ]
    assert problems == []


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("sarcoma_cds.fhir.projection", "from sarcoma_cds.clinical.dates import DateInterval\n"),
        ("sarcoma_cds.cli", "from sarcoma_cds.web.models import parse_service_request\n"),
        ("sarcoma_cds.settings", "from sarcoma_cds.security import algorithms\n"),
        ("sarcoma_cds.rules.examples", "import sarcoma_cds.cards.builder\n"),
        ("sarcoma_cds.clinical.record", "def f():\n    from ..pipeline import Engine\n"),
        ("sarcoma_cds.values.dates", "from sarcoma_cds import settings\n"),
    ],
)
def test_a_backwards_import_is_caught(module: str, source: str) -> None:
    problems = backwards_imports(source, module)
    assert len(problems) == 1 and "may not use" in problems[0], problems


def test_allowed_imports_pass() -> None:
    source = (
        "from sarcoma_cds import SERVICE_ID\n"
        "from sarcoma_cds.values.dates import DateInterval\n"
        "from sarcoma_cds.fhir.prefetch import collect\n"
        "from . import facts\n"
    )
    assert backwards_imports(source, "sarcoma_cds.clinical.record") == []


# --- the pure clinical core ---------------------------------------------------------------------
CORE = [
    *sorted((PACKAGE / "values").glob("*.py")),
    *sorted((PACKAGE / "clinical").glob("*.py")),
    *sorted((PACKAGE / "rules").glob("*.py")),
    *sorted((PACKAGE / "cards").glob("*.py")),
    *sorted((PACKAGE / "cds_hooks").glob("*.py")),
    PACKAGE / "pipeline.py",
    PACKAGE / "timeline" / "events.py",
    PACKAGE / "timeline" / "model.py",
    PACKAGE / "timeline" / "layout.py",
    PACKAGE / "timeline" / "view.py",
    PACKAGE / "fhir" / "projection.py",
    PACKAGE / "fhir" / "prefetch.py",
]
FORBIDDEN_IMPORTS = ("fastapi", "starlette", "uvicorn", "httpx", "requests", "sqlalchemy")
CLOCK_CALLS = {("date", "today"), ("datetime", "now"), ("datetime", "utcnow"), ("time", "time")}
STARTUP_LOADERS = {"datafile.py", "valuesets.py", "loader.py", "dictionary.py", "params.py"}


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
