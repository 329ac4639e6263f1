"""docs/conformance.md, the requirements CSV and the `cds_hooks` test markers agree: every
service-side requirement is listed once; every "met" row names tests that exist and carry its
id; every marked test is named on the rows of the ids it declares."""

from __future__ import annotations

import ast
import csv
import re

from sarcoma_cds.paths import repo_root

ROOT = repo_root()
DOC = ROOT / "docs" / "conformance.md"
CSV = ROOT / "docs" / "standards" / "cds-hooks-2.0-requirements.csv"
NODE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def _service_ids() -> list[int]:
    with CSV.open(encoding="utf-8") as handle:
        return [int(r["ID"]) for r in csv.DictReader(handle) if "Service" in r["Actors"]]


def _rows() -> list[tuple[int, str, str]]:
    """(id, status, evidence) for each table row."""
    rows = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if line.startswith("| ") and cells[0].isdigit():
            rows.append((int(cells[0]), cells[4], cells[5]))
    return rows


def _markers() -> dict[tuple[str, str], set[int]]:
    """(test file, test function) → the requirement ids its cds_hooks marker declares."""
    found: dict[tuple[str, str], set[int]] = {}
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                func = decorator.func if isinstance(decorator, ast.Call) else None
                if isinstance(func, ast.Attribute) and func.attr == "cds_hooks":
                    assert isinstance(decorator, ast.Call)
                    ids = {int(ast.literal_eval(arg)) for arg in decorator.args}
                    key = (path.relative_to(ROOT).as_posix(), node.name)
                    found.setdefault(key, set()).update(ids)
    return found


def test_every_service_side_requirement_is_listed_once() -> None:
    service_ids = _service_ids()
    listed = [row[0] for row in _rows()]
    assert len(service_ids) == 120
    assert sorted(listed) == sorted(service_ids)
    assert len(listed) == len(set(listed))


def test_every_met_row_names_tests_that_carry_its_id() -> None:
    markers = _markers()
    for rid, status, evidence in _rows():
        assert status in {"met", "not applicable"}, (rid, status)
        if status == "not applicable":
            assert len(evidence) > 20, f"requirement {rid}: say why it does not apply"
            continue
        nodes = NODE.findall(evidence)
        if not nodes:
            assert "`bench/RESULTS.md`" in evidence and (ROOT / "bench" / "RESULTS.md").is_file()
            continue
        for path, name in nodes:
            assert (path, name) in markers, f"requirement {rid}: {path}::{name} has no marker"
            assert rid in markers[(path, name)], f"{path}::{name} does not declare {rid}"


def test_every_marked_test_is_named_on_its_rows() -> None:
    rows = {rid: (status, evidence) for rid, status, evidence in _rows()}
    for (path, name), ids in _markers().items():
        for rid in ids:
            assert rid in rows, f"{path}::{name} declares {rid}, not a service-side requirement"
            status, evidence = rows[rid]
            assert status == "met", f"{path}::{name} shows {rid}, listed as {status}"
            assert f"`{path}::{name}`" in evidence, f"requirement {rid} does not name {name}"


def test_the_summary_line_counts_the_rows() -> None:
    statuses = [status for _, status, _ in _rows()]
    met, not_applicable = statuses.count("met"), statuses.count("not applicable")
    summary = f"**{met} met, {not_applicable} not applicable, 0 partly met, 0 unmet** (of 120)"
    assert summary in DOC.read_text(encoding="utf-8")
