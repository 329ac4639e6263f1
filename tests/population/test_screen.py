"""The worklist is patient-view, patient by patient: every example patient screened from an
NDJSON export gets exactly the cards (topics, warnings) its patient-view call gets."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import load_example
from tests.population.conftest import TODAY
from tests.support.bulk_export import example_patient_ids, write_export

from sarcoma_cds.fhir.prefetch_templates import PREFETCH_TEMPLATES
from sarcoma_cds.pipeline import Engine
from sarcoma_cds.population.rows import card_topics
from sarcoma_cds.population.runner import LocalRunner
from sarcoma_cds.population.screen import ScreenResult, screen
from sarcoma_cds.population.source import SourceError


def _complete(prefetch: dict[str, Any]) -> dict[str, Any]:
    """The call an EHR holding the export's data would make: a key the example leaves out
    (its EHR did not send that type) is an empty searchset, since the export holds every
    type and this patient has none of it."""
    empty = {"resourceType": "Bundle", "type": "searchset", "total": 0}
    return {k: prefetch.get(k, empty) for k in PREFETCH_TEMPLATES} | prefetch


def _patient_view(engine: Engine, name: str) -> dict[str, Any] | None:
    """Topics, warnings and the summary card's presence in the example's patient-view call at
    the screening day."""
    request = load_example(name)
    prefetch = _complete(request["prefetch"])
    cards = engine.evaluate(request["context"]["patientId"], prefetch, TODAY)
    if not cards.cards:
        return None
    topics: list[str] = []
    warnings: list[str] = []
    for card in cards.cards_json():
        topics += [t for t in card_topics(card) if t not in topics]
        if card["indicator"] != "info":
            warnings += [t for t in card_topics(card) if t not in warnings]
    return {
        "topics": ";".join(topics),
        "warnings": ";".join(warnings),
        "summary": "summary" in topics,
    }


def _by_patient(result: ScreenResult) -> dict[str, dict[str, Any]]:
    return {r["patient_id"]: r for r in result.rows}


def test_worklist_equals_patient_view_on_every_example(
    engine: Engine, examples_screened: ScreenResult
) -> None:
    """A row for every patient whose patient-view carries a summary card, with the same
    topics and warnings; the patients with other cards only are listed apart."""
    rows = _by_patient(examples_screened)
    expected, off_list = {}, set()
    for name, pid in example_patient_ids().items():
        view = _patient_view(engine, name)
        if view is not None and view["summary"]:
            expected[pid] = view
        elif view is not None:
            off_list.add(pid)
    assert sorted(rows) == sorted(expected)  # the same patients
    for pid, view in expected.items():
        assert rows[pid]["topics"] == view["topics"], pid
        assert rows[pid]["warnings"] == view["warnings"], pid
    assert {r["patient_id"] for r in examples_screened.off_list} == off_list
    assert len(off_list) >= 5  # data-quality and GIST examples: a real comparison
    assert examples_screened.patients == len(example_patient_ids())
    assert len(rows) >= 40  # the examples are mostly patients with cards: a real comparison


@pytest.mark.parametrize(
    ("name", "branch"),
    [
        ("01-metachronous-lms-liver-only.json", "treatment-pathway"),
        ("22-lms-synchronous-progressed.json", "treatment-pathway"),
        ("06-three-sites-not-oligometastatic.json", "mdt-referral"),
        ("27-not-surgical-candidate-local-code.json", "local-therapy"),
        ("29-re-metastasectomy-long-tfi.json", "liver-recurrence"),
        ("32-follow-up-overdue.json", "follow-up"),
    ],
)
def test_branch_is_the_pathway_the_cards_follow(
    examples_screened: ScreenResult, name: str, branch: str
) -> None:
    row = _by_patient(examples_screened)[example_patient_ids()[name]]
    assert row["branch"] == branch


@pytest.mark.parametrize(
    ("name", "branch"),
    [
        ("55-text-only-problem-list.json", "data-quality"),
        ("57-unrecognised-cancer-code-d48-1.json", "data-quality"),
        ("13-gist-icd10cm.json", "not-applicable"),
    ],
)
def test_patients_without_a_summary_card_are_off_the_list(
    examples_screened: ScreenResult, name: str, branch: str
) -> None:
    pid = example_patient_ids()[name]
    assert pid not in _by_patient(examples_screened)
    entry = next(r for r in examples_screened.off_list if r["patient_id"] == pid)
    assert entry["branch"] == branch
    assert entry["summary"]


def test_row_carries_the_profile(examples_screened: ScreenResult) -> None:
    row = _by_patient(examples_screened)["eJzlzK2.7Xb4Rr6Yw3"]
    assert row["timing"] == "synchronous"
    assert row["oligometastatic"] == "yes"
    assert row["sites"] == "liver"
    assert row["lesion_count"] == 1
    assert row["summary"].startswith("STS liver metastases (leiomyosarcoma, synchronous)")


def test_gzip_and_mixed_type_files_give_the_same_worklist(
    tmp_path: Path, local_runner: LocalRunner, examples_screened: ScreenResult
) -> None:
    folder = tmp_path / "export"
    write_export(folder, gzipped=True, mixed=True)
    assert sorted(p.name for p in folder.iterdir()) == ["part-0.ndjson.gz", "part-1.ndjson.gz"]
    result = screen(folder, tmp_path / "out", TODAY, local_runner)
    assert result.rows == examples_screened.rows
    assert result.types == examples_screened.types


def test_malformed_lines_are_skipped_counted_and_named(
    tmp_path: Path, local_runner: LocalRunner, engine: Engine
) -> None:
    folder = tmp_path / "export"
    write_export(folder, files=["01-metachronous-lms-liver-only.json", "16-no-cancer.json"])
    no_cancer = load_example("16-no-cancer.json")["context"]["patientId"]
    conditions = folder / "Condition.ndjson"
    lines = conditions.read_text().splitlines()
    broken = '{"resourceType":"Condition","subject":{"reference":"Patient/' + no_cancer + '"},"co'
    lines[1:1] = ["{not json", broken, '["an array"]']
    conditions.write_text("\n".join(lines) + "\n")
    result = screen(folder, tmp_path / "out", TODAY, local_runner)
    assert result.malformed_count == 3
    assert [(m["file"], m["line"]) for m in result.malformed] == [
        ("Condition.ndjson", 2),
        ("Condition.ndjson", 3),
        ("Condition.ndjson", 4),
    ]
    assert result.malformed[2]["reason"] == "not a FHIR resource (no resourceType)"
    assert result.unattributed_malformed == 2
    # The patient of the broken line is evaluated as patient-view would be when its Conditions
    # could not be read in full: never a silent "no".
    request = load_example("16-no-cancer.json")
    view = engine.evaluate(
        no_cancer,
        _complete(request["prefetch"]),
        TODAY,
        unreadable={"conditions": "line 3 of Condition.ndjson is not valid JSON"},
    )
    rows = _by_patient(result)
    assert (no_cancer in rows) == bool(view.cards)
    assert "01" not in rows or rows  # the other patient is screened as before
    assert any("line 3 of Condition.ndjson" in g for g in view.data_gaps)


def test_an_unreadable_patient_line_is_named_on_the_card(
    tmp_path: Path, local_runner: LocalRunner, engine: Engine
) -> None:
    """The Patient line of a sarcoma patient is broken: the patient is still screened, and the
    summary card says the patient's details could not be read (patient-view's own words)."""
    name = "01-metachronous-lms-liver-only.json"
    folder = tmp_path / "export"
    write_export(folder, files=[name, "16-no-cancer.json"])
    pid = load_example(name)["context"]["patientId"]
    patients = folder / "Patient.ndjson"
    lines = patients.read_text().splitlines()
    broken = [i for i, line in enumerate(lines) if f'"id":"{pid}"' in line]
    assert len(broken) == 1
    lines[broken[0]] = lines[broken[0]][:-5]  # cut short: not valid JSON any more
    patients.write_text("\n".join(lines) + "\n")
    result = screen(folder, tmp_path / "out", TODAY, local_runner)
    reason = f"line {broken[0] + 1} of Patient.ndjson is not valid JSON"
    assert result.malformed[0]["line"] == broken[0] + 1
    request = load_example(name)
    prefetch = {k: v for k, v in _complete(request["prefetch"]).items() if k != "patient"}
    view = engine.evaluate(pid, prefetch, TODAY, unreadable={"patient": reason})
    rows = _by_patient(result)
    assert rows[pid]["topics"] == ";".join(t for c in view.cards_json() for t in card_topics(c))
    assert "Patient details could not be read from the EHR (line" in rows[pid]["data_gaps"]
    assert result.orphans == 0


def test_a_chunked_plain_file_numbers_lines_across_chunks(
    tmp_path: Path, local_runner: LocalRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sarcoma_cds.population import screen as screen_module
    from sarcoma_cds.population import source

    folder = tmp_path / "export"
    write_export(folder)
    observations = folder / "Observation.ndjson"
    lines = observations.read_text().splitlines()
    lines.insert(len(lines) - 3, "garbage")
    observations.write_text("\n".join(lines) + "\n")
    small = source.plan_chunks(folder, chunk_bytes=4096)
    assert len(small) > 12  # the Observation file is cut into several chunks
    monkeypatch.setattr(screen_module, "plan_chunks", lambda f: source.plan_chunks(f, 4096))
    result = screen(folder, tmp_path / "out", TODAY, local_runner)
    assert [(m["file"], m["line"]) for m in result.malformed] == [
        ("Observation.ndjson", len(lines) - 3)
    ]
    assert result.lines == sum(len(p.read_bytes().splitlines()) for p in folder.iterdir())


def test_no_patient_file_is_a_clear_error(tmp_path: Path, local_runner: LocalRunner) -> None:
    folder = tmp_path / "export"
    write_export(folder, files=["01-metachronous-lms-liver-only.json"])
    (folder / "Patient.ndjson").unlink()
    with pytest.raises(SourceError, match="no Patient resources in the export"):
        screen(folder, tmp_path / "out", TODAY, local_runner)


def test_an_interrupted_run_resumes(
    tmp_path: Path,
    local_runner: LocalRunner,
    examples_export: Path,
    examples_screened: ScreenResult,
) -> None:
    out = tmp_path / "out"
    first = screen(examples_export, out, TODAY, local_runner)
    assert not first.resumed
    # As if interrupted during the last pass: one bucket's result never written.
    (out / ".screen-work" / "rows" / "b1.json").unlink()
    again = screen(examples_export, out, TODAY, local_runner)
    assert again.resumed
    assert again.rows == examples_screened.rows
    # Another day is another run: nothing of the old one is reused.
    later = screen(examples_export, out, TODAY.replace(year=2027), local_runner)
    assert not later.resumed


def test_gzip_file_reads_whole(tmp_path: Path) -> None:
    from sarcoma_cds.population.source import lines, plan_chunks

    folder = tmp_path / "export"
    folder.mkdir()
    with gzip.open(folder / "x.ndjson.gz", "wb") as f:
        f.write(b'{"a":1}\n{"b":2}\n')
    (chunk,) = plan_chunks(folder)
    assert list(lines(chunk)) == [b'{"a":1}\n', b'{"b":2}\n']


def test_crlf_spaced_json_blank_lines_and_no_final_newline_give_the_same_worklist(
    tmp_path: Path,
    local_runner: LocalRunner,
    examples_screened: ScreenResult,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What other exporters write: CRLF line ends, spaces after colons and commas, a blank
    line, no newline after the last line; the files cut into many small chunks so that the
    byte offsets pass 1 notes for pass 2 cross every shape of line end."""
    from sarcoma_cds.population import screen as screen_module
    from sarcoma_cds.population import source

    folder = tmp_path / "export"
    write_export(folder)
    for path in folder.iterdir():
        resources = [json.loads(line) for line in path.read_text().splitlines()]
        text = "\r\n\r\n".join(json.dumps(r, separators=(", ", ": ")) for r in resources)
        path.write_bytes(text.encode())  # no final newline
    monkeypatch.setattr(screen_module, "plan_chunks", lambda f: source.plan_chunks(f, 4096))
    result = screen(folder, tmp_path / "out", TODAY, local_runner)
    assert result.malformed_count == 0
    assert result.rows == examples_screened.rows
    assert result.off_list == examples_screened.off_list
    assert result.types == examples_screened.types


def test_lines_in_any_order_give_the_same_worklist(
    tmp_path: Path, local_runner: LocalRunner, examples_screened: ScreenResult
) -> None:
    """Pass 1 indexes runs of one patient's consecutive lines: lines shuffled across
    patients (runs of one line) give the same worklist as lines grouped by patient."""
    import random

    folder = tmp_path / "export"
    write_export(folder)
    shuffle = random.Random(16).shuffle
    for path in folder.iterdir():
        lines = path.read_bytes().splitlines()
        shuffle(lines)
        path.write_bytes(b"\n".join(lines) + b"\n")
    result = screen(folder, tmp_path / "out", TODAY, local_runner)
    assert result.rows == examples_screened.rows
    assert result.off_list == examples_screened.off_list


def test_bytes_that_are_not_utf8_make_a_malformed_line(
    tmp_path: Path, local_runner: LocalRunner
) -> None:
    folder = tmp_path / "export"
    write_export(folder, files=["01-metachronous-lms-liver-only.json", "16-no-cancer.json"])
    conditions = folder / "Condition.ndjson"
    lines = conditions.read_bytes().splitlines()
    lines[0] = lines[0].replace(b'"resourceType"', b'"note":"\xff\xfe","resourceType"', 1)
    conditions.write_bytes(b"\n".join(lines) + b"\n")
    result = screen(folder, tmp_path / "out", TODAY, local_runner)
    assert [(m["file"], m["line"]) for m in result.malformed] == [("Condition.ndjson", 1)]
    assert result.malformed[0]["reason"].startswith("not valid JSON")


def test_a_number_beyond_a_double_in_a_candidates_line_is_named_unreadable(
    tmp_path: Path, local_runner: LocalRunner, engine: Engine
) -> None:
    """Pass 1 does not build the elements it skips, and msgspec accepts 1e400 there (valid
    JSON); pass 2 parses a candidate's lines whole with orjson, which refuses it: the line is
    reported with its file and line, and the patient's card names the record unreadable."""
    name = "01-metachronous-lms-liver-only.json"
    folder = tmp_path / "export"
    write_export(folder, files=[name, "16-no-cancer.json"])
    pid = load_example(name)["context"]["patientId"]
    observations = folder / "Observation.ndjson"
    lines = observations.read_bytes().splitlines()
    mine = [i for i, line in enumerate(lines) if f"Patient/{pid}".encode() in line]
    lines[mine[-1]] = lines[mine[-1]].replace(b"{", b'{"x":1e400,', 1)
    observations.write_bytes(b"\n".join(lines) + b"\n")
    result = screen(folder, tmp_path / "out", TODAY, local_runner)
    where = f"line {mine[-1] + 1} of Observation.ndjson"
    assert result.malformed_count == 1
    assert [(m["file"], m["line"]) for m in result.malformed] == [
        ("Observation.ndjson", mine[-1] + 1)
    ]
    assert result.unattributed_malformed == 0
    row = _by_patient(result)[pid]
    assert where in row["data_gaps"]
    request = load_example(name)
    view = engine.evaluate(
        pid,
        _complete(request["prefetch"]),
        TODAY,
        unreadable={"observations": f"{where} is {result.malformed[0]['reason']}"},
    )
    assert row["topics"] == ";".join(t for c in view.cards_json() for t in card_topics(c))
