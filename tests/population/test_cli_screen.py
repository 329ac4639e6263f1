"""`sarcoma-cds screen` end to end: a folder in, worklist.csv / .parquet and report.html out;
bad input is a clear message and exit code 1."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from tests.support.bulk_export import write_export

from sarcoma_cds.cli import main
from sarcoma_cds.population.rows import COLUMNS
from sarcoma_cds.population.screen import ScreenResult


def test_screen_writes_worklist_and_report(
    examples_export: Path,
    examples_screened: ScreenResult,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    code = main(["screen", str(examples_export), "--out", str(out), "--today", "2026-06-01"])
    assert code == 0
    with (out / "worklist.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == list(COLUMNS)
    assert [r["patient_id"] for r in rows] == [r["patient_id"] for r in examples_screened.rows]
    assert [r["topics"] for r in rows] == [r["topics"] for r in examples_screened.rows]
    table = pq.read_table(out / "worklist.parquet")
    assert table.column_names == list(COLUMNS)
    assert table.to_pylist() == examples_screened.rows
    report = (out / "report.html").read_text()
    assert report.count("<svg") == 4  # branches, timing, DFI, sites
    assert "Worklist patients by branch" in report
    assert "Multidisciplinary tumour board" in report  # a branch in its rule's own words
    # Data-quality-only patients are named in the data-quality section, not as worklist rows.
    assert examples_screened.off_list
    worklist = report[report.index("<h2>Worklist") :]
    for entry in examples_screened.off_list:
        assert entry["patient_id"] in report
        assert entry["patient_id"] not in worklist
    assert "Record needs coding before the consensus can be applied" in report
    assert "<script" not in report  # opens offline, nothing fetched
    assert f"<b>{len(rows)}</b>on the worklist" in report
    overdue = [r["patient_id"] for r in rows if r["followup_overdue"] == "yes"]
    assert overdue, "an example has an overdue follow-up CT"
    assert f"Overdue follow-ups ({len(overdue)})" in report
    for pid in overdue:
        assert pid in report
    captured = capsys.readouterr()
    assert f"{examples_screened.patients} patients" in captured.err
    assert "worklist.csv" in captured.out


def test_report_names_malformed_lines(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write_export(folder, files=["01-metachronous-lms-liver-only.json"])
    with (folder / "Observation.ndjson").open("a") as f:
        f.write("{truncated\n")
    assert main(["screen", str(folder), "--out", str(tmp_path / "out")]) == 0
    report = (tmp_path / "out" / "report.html").read_text()
    assert "<td>Observation.ndjson</td><td>" in report
    assert "not valid JSON" in report


def test_missing_patient_file_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "export"
    write_export(folder, files=["01-metachronous-lms-liver-only.json"])
    (folder / "Patient.ndjson").unlink()
    assert main(["screen", str(folder), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "no Patient resources in the export" in err
    assert "Traceback" not in err


def test_empty_folder_and_missing_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["screen", str(tmp_path / "empty"), "--out", str(tmp_path / "o")]) == 1
    assert "no *.ndjson or *.ndjson.gz files" in capsys.readouterr().err
    assert main(["screen", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_spark_says_it_is_not_available(
    examples_export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["screen", str(examples_export), "--out", str(tmp_path), "--engine", "spark"])
    assert code == 1
    err = capsys.readouterr().err
    assert "Spark engine is not available" in err
    assert "--engine dask" in err  # what to use instead
    assert "Traceback" not in err
    assert not (tmp_path / "worklist.csv").exists()
