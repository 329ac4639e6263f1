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
from typing import Any

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


def test_the_floor_runs_under_serves_server_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ratio compares like with like: the floor gets the loop and HTTP protocol (asyncio,
    h11 with TCP_NODELAY, the header limit) that `serve` gives uvicorn."""
    import uvicorn
    from bench.servers import command
    from uvicorn.supervisors import Multiprocess

    from bench import floor
    from sarcoma_cds import startup
    from sarcoma_cds.server_stack import SERVER_STACK
    from sarcoma_cds.settings import Settings

    assert command("floor", 8123, 2)[1:3] == ["-m", "bench.floor"]
    given: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: given.update(options))
    floor.main(["--port", "8123", "--workers", "2"])
    assert {k: given[k] for k in SERVER_STACK} == SERVER_STACK
    assert (given["port"], given["workers"]) == (8123, 2)
    monkeypatch.setattr(startup, "load_settings", Settings)
    supervised = lambda self: given.update(self.config.__dict__)  # noqa: E731
    monkeypatch.setattr(Multiprocess, "run", supervised)
    monkeypatch.setattr(startup, "check", lambda settings: None)
    monkeypatch.setattr(uvicorn.Config, "bind_socket", lambda self: None)
    given.clear()
    startup.run_server("127.0.0.1", 8124, 2)  # serve, as it configures uvicorn
    assert {k: given[k] for k in SERVER_STACK} == SERVER_STACK


def test_targets_are_judged_on_the_median_of_the_runs_with_the_spread() -> None:
    from bench.report import Report, RunFigures, targets

    runs = [
        RunFigures(2.0, 5.0, 15.0, 210.0, 3.9, 120.0),  # ratio 2.5
        RunFigures(2.0, 8.0, 25.0, 150.0, 4.5, 140.0),  # ratio 4.0
        RunFigures(2.0, 5.6, 18.0, 205.0, 3.8, 130.0),  # ratio 2.8
    ]
    found = {t.name.split(",")[0]: t for t in targets(Report("plan", quick=False, runs=runs))}
    ratio = found["p50 service / floor"]
    assert ratio.measured == "2.80 (2.50–4.00 over 3 runs)" and ratio.met is True
    assert found["service p99"].measured.startswith("18.0 ms") and found["service p99"].met
    assert found["service throughput"].measured.startswith("205 req/s")
    assert found["service throughput"].met is True
    assert found["service peak RSS per worker (any size"].measured == "140 MB"
    assert found["in-process request (parse"].met is True  # median 3.9 ms
    one = {t.name.split(",")[0]: t for t in targets(Report("p", quick=True, runs=runs[1:2]))}
    assert one["p50 service / floor"].measured == "4.00" and one["p50 service / floor"].met is False


def test_runs_and_population_options_are_checked() -> None:
    from bench.run import parse_args

    plan, _, _ = parse_args(["--quick", "--runs", "2", "--population", "0"])
    assert (plan.runs, plan.population_patients) == (2, 0)
    full, _, _ = parse_args([])
    assert full.runs == 3 and full.population_patients > 0
    with pytest.raises(SystemExit):
        parse_args(["--runs", "0"])


def test_the_runs_table_shows_how_the_two_workers_shared_the_cell() -> None:
    """uvicorn's workers accept from one socket: the report says how the CPU was split."""
    import os
    import time

    from bench.report import Report, RunFigures, render
    from bench.servers import _cpu_seconds

    start = _cpu_seconds(os.getpid())
    stop = time.process_time() + 0.05
    while time.process_time() < stop:
        pass
    assert _cpu_seconds(os.getpid()) > start  # counts this process's own work
    runs = [RunFigures(2.0, 5.0, 15.0, 210.0, 3.9, 120.0, two_workers_cpu=(0.01, 2.03))]
    text = render(Report("plan", quick=False, runs=runs), service_measured=True)
    row = next(line for line in text.splitlines() if line.startswith("| 1 |"))
    assert "| 210 | 0.0 / 2.0 |" in row
