"""The benchmark command runs end to end on its smallest size and writes a well-formed report.

No timing is asserted: the figures depend on the machine. What is checked is that the one
command starts the servers, drives them, and produces complete tables with numbers in them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from bench.generate import CORE_SIZE, generate_request, request_body
from bench.report import HTTP_HEADER, STAGE_HEADER

ROOT = Path(__file__).resolve().parents[2]
NUMBER = re.compile(r"^\d+(\.\d+)?$")


def _tables(markdown: str) -> dict[str, list[list[str]]]:
    """Each '## heading' → the rows (header first, separator dropped) of its first table."""
    tables: dict[str, list[list[str]]] = {}
    heading = ""
    for line in markdown.splitlines():
        if line.startswith("## "):
            heading = line[3:]
        elif line.startswith("|") and not line.startswith("| ---") and heading:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            tables.setdefault(heading, []).append(cells)
    return tables


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("bench") / "RESULTS.md"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "service"), str(ROOT)])}
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert completed.returncode == 0, completed.stderr
    return out.read_text()


def test_report_names_machine_versions_and_command(quick_report: str) -> None:
    assert quick_report.startswith("# Benchmark results")
    assert "`python bench/run.py --quick`" in quick_report
    assert re.search(r"- CPU: .+; \d+ logical cores", quick_report)
    assert re.search(r"- Python 3\.\d+", quick_report)
    assert "uvicorn " in quick_report
    assert "orjson " in quick_report


def test_http_table_has_a_numeric_row_per_concurrency(quick_report: str) -> None:
    rows = _tables(quick_report)["HTTP, 1 worker"]
    assert rows[0] == HTTP_HEADER
    body = rows[1:]
    assert [(r[0], r[1]) for r in body] == [("10", "1"), ("10", "8")]
    for row in body:
        assert len(row) == len(HTTP_HEADER)
        floor_p50, floor_p95, floor_p99 = row[5].split(" / ")
        assert all(NUMBER.match(v) for v in (floor_p50, floor_p95, floor_p99))
        assert float(floor_p50) <= float(floor_p95) <= float(floor_p99)
        assert NUMBER.match(row[9])
        assert float(row[9]) > 0
        assert row[3].endswith("/ 0")  # no floor errors


def test_service_rows_measured_when_the_app_is_present(quick_report: str) -> None:
    service_present = "only the floor was measured" not in quick_report
    for row in _tables(quick_report)["HTTP, 1 worker"][1:]:
        if service_present:
            assert row[3] == "0 / 0", "the service answered with errors"
            assert NUMBER.match(row[6]), "no p50 ratio service / floor"
            assert int(row[11]) > 0, "the service returned no cards for a metastatic patient"
        else:
            assert row[6] == "–"


def test_in_process_rss_and_target_tables(quick_report: str) -> None:
    tables = _tables(quick_report)
    stages = tables["In-process stages (no HTTP; median ms per request)"]
    assert stages[0] == STAGE_HEADER
    assert stages[1][0] == "10"
    assert all(NUMBER.match(cell) for cell in stages[1])
    rss = tables["Peak RSS per worker (MB, VmHWM, cumulative after each size)"]
    floor_row = next(r for r in rss if r[0] == "floor")
    assert 10 < float(floor_row[2]) < 10_000  # megabytes of a Python worker
    verdicts = {row[3] for row in tables["Targets"][1:]}
    assert verdicts <= {"met", "**not met**", "not measured"}
    assert len(tables["Targets"]) >= 5


def test_generator_is_exact_in_size_and_deterministic() -> None:
    for size in (CORE_SIZE, 100, 300):
        request = generate_request(size)
        prefetch = request["prefetch"]
        bundles = [key for key in prefetch if key != "patient"]
        count = 1 + sum(len(prefetch[key]["entry"]) for key in bundles)
        if size >= 300:  # the chart carries every resource type the service reads
            assert all(prefetch[key]["entry"] for key in bundles if key != "medicationStatements")
        assert count == size
        assert request_body(size) == request_body(size)
    assert request_body(100, seed=1) != request_body(100, seed=2)


def test_generator_refuses_a_size_below_its_clinical_story() -> None:
    with pytest.raises(ValueError, match="at least 10 resources"):
        generate_request(CORE_SIZE - 1)
