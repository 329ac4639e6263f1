"""`screen`: an export folder in, `worklist.csv`, `worklist.parquet` and `report.html` out.

The passes of stages.py run on a `Runner`; this module plans them, merges the first pass into
`plan.json` (candidates, buckets, the resource types the export holds, the patients whose
record has an unreadable line), and resumes: the work folder `DIR/.screen-work` keeps every
finished chunk and bucket, and a run over the same export (same files, sizes and times) and
the same day picks up where the last one stopped.
"""

from __future__ import annotations

import math
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sarcoma_cds.population.runner import Runner
from sarcoma_cds.population.scan import scan_chunk
from sarcoma_cds.population.source import (
    CHUNK_BYTES,
    LineNumbers,
    SourceError,
    export_files,
    fingerprint,
    plan_chunks,
)
from sarcoma_cds.population.stages import evaluate_bucket, spill_chunk
from sarcoma_cds.population.work import KEY_OF_TYPE, read_json, worker_engine, write_json

WORK = ".screen-work"
STATE_VERSION = 3  # 2: bucket results hold the off-list patients; 3: pass 1 indexes runs
PATIENTS_PER_BUCKET = 2000
BUCKETS_PER_WORKER = 4  # at least: a worker that finishes early takes the next bucket


@dataclass
class ScreenResult:
    patients: int  # Patient resources in the export
    candidates: int
    evaluated: int
    rows: list[dict[str, Any]]  # the worklist: patients with a summary card
    off_list: list[dict[str, Any]]  # patients with other cards only (data quality, GIST)
    types: dict[str, int]
    lines: int
    malformed_count: int
    malformed: list[dict[str, Any]]  # file, line, reason (the first ones)
    unattributed_malformed: int  # malformed lines whose patient could not be told
    orphans: int  # candidate patients referenced by resources but absent from the Patient file
    no_patient: int
    seconds: float
    engine: str
    workers: int
    resumed: bool
    files: list[str] = field(default_factory=list)


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


@contextmanager
def _step(progress: Progress, description: str, total: int) -> Iterator[Callable[[], None]]:
    task = progress.add_task(description, total=total)
    yield lambda: progress.advance(task)
    progress.update(task, completed=total)


def _prepare_work(out: Path, state: dict[str, Any], console: Console) -> bool:
    """The work folder for this export; True when an earlier run of it is resumed."""
    work = out / WORK
    state_file = work / "state.json"
    if state_file.is_file():
        try:
            if read_json(state_file) == state:
                console.print(f"Resuming the interrupted run kept in {work}")
                return True
        except ValueError:
            pass
        console.print(f"{work}: from another export or day; starting afresh")
    shutil.rmtree(work, ignore_errors=True)
    for sub in ("scan", "spill", "rows"):
        (work / sub).mkdir(parents=True)
    write_json(state_file, state)
    return False


def _note_malformed(
    entries: list[list[Any]],
    where: tuple[LineNumbers, dict[int, str]],
    malformed: list[dict[str, Any]],
    unreadable: dict[str, dict[str, str]],
    patients: set[str] | None = None,
) -> None:
    """Each (chunk, line, reason, type, patient) into the report's list, and the patient's key
    into `unreadable` (only for `patients`, when given)."""
    numbers, names = where
    for chunk, n, reason, rtype, patient in entries:
        spot = {"file": names[chunk], "line": numbers.line(chunk, n), "reason": reason}
        malformed.append(spot)
        if patient is None or (patients is not None and patient not in patients):
            continue
        # A line whose type cannot be read may have been a Condition: the key that
        # matters most is the one named unreadable.
        key = "patient" if rtype == "Patient" else KEY_OF_TYPE.get(rtype or "", "conditions")
        unreadable.setdefault(patient, {})[key] = (
            f"line {spot['line']} of {spot['file']} is {reason}"
        )


def _merge_scans(
    chunks: list[Any], scans: list[dict[str, Any]]
) -> tuple[dict[str, Any], list[dict[str, Any]], int, tuple[LineNumbers, dict[int, str]]]:
    """plan.json's content, the malformed lines to report, how many name no patient, and where
    a chunk's line is in its file."""
    where = (
        LineNumbers.of(chunks, {s["chunk"]: s["lines"] for s in scans}),
        {c.index: c.name for c in chunks},
    )
    types: Counter[str] = Counter()
    candidates: set[str] = set()
    unreadable: dict[str, dict[str, str]] = {}
    malformed: list[dict[str, Any]] = []
    unattributed = 0
    for s in scans:
        types.update(s["types"])
        candidates.update(s["candidates"])
        unattributed += s["malformed_count"] - sum(1 for m in s["malformed"] if m[4])
        candidates.update(m[4] for m in s["malformed"] if m[4])
        _note_malformed(s["malformed"], where, malformed, unreadable)
    plan = {
        "candidates": sorted(candidates),
        "buckets": 0,
        "types": dict(types),
        "supplied_keys": sorted({KEY_OF_TYPE[t] for t in types if t in KEY_OF_TYPE}),
        "unreadable": unreadable,
        "lines": sum(s["lines"] for s in scans),
        "malformed_count": sum(s["malformed_count"] for s in scans),
        "no_patient": sum(s["no_patient"] for s in scans),
    }
    return plan, malformed, unattributed, where


def _merge_spills(
    spills: list[dict[str, Any]],
    plan: dict[str, Any],
    where: tuple[LineNumbers, dict[int, str]],
    malformed: list[dict[str, Any]],
    plan_file: Path,
) -> tuple[int, int]:
    """Lines of candidates that pass 1's decoder accepted and pass 2's parser refused (scan.py):
    reported as malformed, and the candidates' records named unreadable in plan.json (which
    pass 3 reads; idempotent, for a resumed run). Returns how many there are, and how many of
    them name no candidate."""
    entries = [m for s in spills for m in s["malformed"]]
    if not entries:
        return 0, 0
    candidates = set(plan["candidates"])
    _note_malformed(entries, where, malformed, plan["unreadable"], candidates)
    write_json(plan_file, plan)
    return len(entries), sum(1 for m in entries if m[4] not in candidates)


def screen(
    folder: Path,
    out: Path,
    today: date,
    runner: Runner,
    console: Console | None = None,
    requested_types: frozenset[str] = frozenset(),
    meanwhile: Callable[[], None] | None = None,
) -> ScreenResult:
    """Screen the export in `folder`; `requested_types`: resource types a completed `$export`
    was asked for (a type it returned no file for is a known "none", not "not sent");
    `meanwhile`: work for this process while the workers run the first pass."""
    console = console or Console(stderr=True)
    started = time.monotonic()
    files = export_files(folder)
    state = {
        "version": STATE_VERSION,
        "fingerprint": fingerprint(files),
        "today": today.isoformat(),
        "chunk_bytes": CHUNK_BYTES,
        "requested_types": sorted(requested_types),
    }
    out.mkdir(parents=True, exist_ok=True)
    resumed = _prepare_work(out, state, console)
    work = str(out / WORK)
    worker_engine()  # rules load (and fail) here, before any worker starts
    chunks = plan_chunks(folder)
    with _progress(console) as progress:
        with _step(progress, "1/3 scanning for candidates", len(chunks)) as done:
            scans = runner.map(scan_chunk, chunks, work, done=done, meanwhile=meanwhile)
        plan, malformed, unattributed, where = _merge_scans(chunks, scans)
        if not plan["types"].get("Patient"):
            raise SourceError(
                f"{folder}: no Patient resources in the export (a Patient file is required: "
                "the worklist lists patients)"
            )
        if not plan["types"].get("Condition"):
            raise SourceError(
                f"{folder}: no Condition resources in the export: the sarcoma and its "
                "metastases are Conditions, so nothing can be screened"
            )
        requested = {KEY_OF_TYPE[t] for t in requested_types if t in KEY_OF_TYPE}
        plan["supplied_keys"] = sorted(set(plan["supplied_keys"]) | requested)
        plan["buckets"] = max(
            BUCKETS_PER_WORKER * runner.workers,
            math.ceil(len(plan["candidates"]) / PATIENTS_PER_BUCKET),
        )
        plan_file = Path(work) / "plan.json"
        if not plan_file.is_file():
            write_json(plan_file, plan)
        plan = read_json(plan_file)
        with _step(progress, "2/3 keeping candidates' data", len(chunks)) as done:
            spills = runner.map(spill_chunk, chunks, work, done=done)
        refused, refused_unattributed = _merge_spills(spills, plan, where, malformed, plan_file)
        unattributed += refused_unattributed
        malformed.sort(key=lambda m: (m["file"], m["line"]))
        buckets = list(range(plan["buckets"]))
        with _step(progress, "3/3 evaluating candidates", len(buckets)) as done:
            results = runner.map(evaluate_bucket, buckets, work, today.isoformat(), done=done)
    rows = sorted((r for b in results for r in b["rows"]), key=lambda r: str(r["patient_id"]))
    off_list = sorted(
        (r for b in results for r in b["off_list"]), key=lambda r: str(r["patient_id"])
    )
    return ScreenResult(
        patients=plan["types"].get("Patient", 0),
        candidates=len(plan["candidates"]),
        evaluated=sum(b["evaluated"] for b in results),
        rows=rows,
        off_list=off_list,
        types={t: n for t, n in sorted(plan["types"].items())},
        lines=plan["lines"],
        malformed_count=plan["malformed_count"] + refused,
        malformed=malformed,
        unattributed_malformed=unattributed,
        orphans=sum(len(b["orphans"]) for b in results),
        no_patient=plan["no_patient"],
        seconds=time.monotonic() - started,
        engine=runner.name,
        workers=runner.workers,
        resumed=resumed,
        files=[p.name for p in files],
    )
