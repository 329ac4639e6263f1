"""The population bench runs end to end on a small export and reports both engines.

No timing is asserted (the figures depend on the machine): the one command generates a seeded
export, measures the floor and both engines, and writes a complete table in which both engines
found every generated sarcoma patient and gave the same worklist.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_population_bench_small_run(tmp_path: Path) -> None:
    out = tmp_path / "POPULATION.md"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "service"), str(ROOT)])}
    completed = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "population.py"),
            "--patients",
            "150",
            "--sarcoma-percent",
            "10",
            "--out",
            str(out),
            "--rounds",
            "2",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert completed.returncode == 0, completed.stderr
    report = out.read_text()
    sarcoma = int(re.search(r"(\d+) of them sarcoma patients", report).group(1))  # type: ignore[union-attr]
    assert sarcoma >= 5
    rows = [line for line in report.splitlines() if line.startswith("| screen")]
    assert len(rows) == 2  # default engine and Dask
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert float(cells[1]) > 0 and float(cells[4]) > 0  # seconds, peak RSS
        assert int(cells[5]) == sarcoma  # every generated sarcoma patient is on the worklist
    assert "Every engine gives the same worklist: **yes**" in report
    assert "2 rounds, each the floor then every engine" in report
