"""Passes 2 and 3, as plain functions of a chunk or a bucket and the work folder, so that a
process pool and a Dask cluster run exactly the same code (and a worker needs nothing but the
shared work folder and the rules). Pass 1 is scan.py.

2. `spill_chunk`: keep only the lines of candidate patients (and Medications, which belong to
   no patient), read by the offsets the first pass noted, written to one file per hash bucket
   of the patient id.
3. `evaluate_bucket`: group one bucket's lines by patient and run each patient through the
   `Engine`, exactly as a patient-view call with those resources as prefetch would.

Every pass writes its result into the work folder (atomically) before returning, so an
interrupted run resumes where it stopped.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from sarcoma_cds.population.candidates import guess_owner, patient_of
from sarcoma_cds.population.rows import patient_entry
from sarcoma_cds.population.source import Chunk, lines
from sarcoma_cds.population.work import (
    KEY_OF_TYPE,
    MEDICATION_MARK,
    Index,
    patient_hash,
    read_json,
    worker_engine,
    write_json,
)


# --- pass 2 ------------------------------------------------------------------------------------
def bucket_of(patient: str, buckets: int) -> int:
    return zlib.crc32(patient.encode()) % buckets


def _plan_version(work: str) -> tuple[str, int]:
    """The plan file and its modification time: the per-process caches below follow it."""
    return work, (Path(work) / "plan.json").stat().st_mtime_ns


@cache
def _candidates(version: tuple[str, int]) -> tuple[frozenset[str], int]:
    plan = read_json(Path(version[0]) / "plan.json")
    return frozenset(plan["candidates"]), int(plan["buckets"])


def _wanted(chunk: Chunk, work: str, runs: int) -> list[tuple[int, int]]:
    """(start, lines) of the runs of candidates and Medications (a start is a line number in a
    gzip chunk)."""
    hashes_of = _candidate_hashes(_plan_version(work))
    index = Index.read(Path(work) / "scan" / f"chunk-{chunk.index}.idx", runs)
    return [
        (start, count)
        for start, count, h in zip(index.starts, index.counts, index.hashes, strict=True)
        if h in hashes_of
    ]


@cache
def _candidate_hashes(version: tuple[str, int]) -> frozenset[int]:
    candidates, _ = _candidates(version)
    return frozenset({patient_hash(p) for p in candidates} | {MEDICATION_MARK})


def _selected(chunk: Chunk, wanted: list[tuple[int, int]]) -> Iterator[tuple[int, bytes]]:
    """(where, line) of the wanted runs' lines: `where` a byte offset, a line number in gzip."""
    if chunk.gzip:
        numbers = {n for start, count in wanted for n in range(start, start + count)}
        for n, line in enumerate(lines(chunk), start=1):
            if n in numbers:
                yield n, line
        return
    with open(chunk.path, "rb") as f:
        for start, count in wanted:
            f.seek(start)
            at = start
            for _ in range(count):
                line = f.readline()
                yield at, line
                at += len(line)


def _line_in_chunk(chunk: Chunk, where: int) -> int:
    """The chunk-relative line number (1-based) of a line of a plain chunk at byte `where`."""
    if chunk.gzip:
        return where
    with open(chunk.path, "rb") as f:
        f.seek(chunk.start)
        return f.read(where - chunk.start).count(b"\n") + 1


def spill_chunk(chunk: Chunk, work: str) -> dict[str, Any]:
    """Pass 2: the candidates' lines (a hash match, then checked on the line parsed whole), and
    the lines pass 1's decoder accepted that orjson refuses (see scan.py), as malformed."""
    folder = Path(work) / "spill"
    done = folder / f"c{chunk.index}.done"
    if done.is_file():
        document: dict[str, Any] = read_json(done)
        return document
    candidates, buckets = _candidates(_plan_version(work))
    runs = int(read_json(Path(work) / "scan" / f"chunk-{chunk.index}.json")["indexed"])
    files: dict[int, Any] = {}
    kept = 0
    malformed: list[list[Any]] = []
    try:
        for where, line in _selected(chunk, _wanted(chunk, work, runs)):
            try:
                resource = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                rtype, patient = guess_owner(line)
                n = _line_in_chunk(chunk, where)
                malformed.append(
                    [chunk.index, n, f"not valid JSON ({exc.args[0]})", rtype, patient]
                )
                continue
            rtype = resource.get("resourceType")
            patient = None if rtype == "Medication" else patient_of(resource)
            if patient not in candidates and rtype != "Medication":
                continue  # a hash collision
            target = -1 if patient is None else bucket_of(patient, buckets)
            if target not in files:
                name = f"c{chunk.index}-med" if target < 0 else f"c{chunk.index}-b{target}"
                files[target] = (folder / f"{name}.ndjson").open("wb")
            files[target].write(line if line.endswith(b"\n") else line + b"\n")
            kept += 1
    finally:
        for f in files.values():
            f.close()
    document = {"kept": kept, "malformed": malformed}
    write_json(done, document)
    return document


# --- pass 3 ------------------------------------------------------------------------------------
def _ndjson(paths: list[Path]) -> Iterator[dict[str, Any]]:
    for path in paths:
        with path.open("rb") as f:
            for line in f:
                resource = orjson.loads(line)
                if isinstance(resource, dict):
                    yield resource


@cache
def _medications(version: tuple[str, int]) -> dict[str, dict[str, Any]]:
    """Medication resources by `Medication/id` (a formulary: small next to the patients)."""
    meds = sorted((Path(version[0]) / "spill").glob("c*-med.ndjson"))
    return {f"Medication/{m.get('id')}": m for m in _ndjson(meds)}


def _referenced_medications(resources: list[dict[str, Any]], work: str) -> list[dict[str, Any]]:
    catalogue = _medications(_plan_version(work))
    out: dict[str, dict[str, Any]] = {}
    for r in resources:
        ref = r.get("medicationReference")
        text = ref.get("reference") if isinstance(ref, dict) else None
        if isinstance(text, str):
            key = "Medication/" + text.rsplit("/", 1)[-1]
            if key in catalogue:
                out[key] = catalogue[key]
    return list(out.values())


def prefetch_of(
    patient: dict[str, Any] | None,
    resources: dict[str, list[dict[str, Any]]],
    supplied: list[str],
) -> dict[str, Any]:
    """The patient-view prefetch the export stands for: every key whose resource type the
    export holds (an empty list is a known "none"), keys of absent types left absent."""
    prefetch: dict[str, Any] = {"patient": patient}
    for key in supplied:
        if key not in ("patient", "medications"):
            prefetch[key] = resources.get(key, [])
    return prefetch


def evaluate_bucket(bucket: int, work: str, today: str) -> dict[str, Any]:
    out = Path(work) / "rows" / f"b{bucket}.json"
    if out.is_file():
        document: dict[str, Any] = read_json(out)
        return document
    plan = read_json(Path(work) / "plan.json")
    supplied: list[str] = plan["supplied_keys"]
    unreadable: dict[str, dict[str, str]] = plan["unreadable"]
    patients: dict[str, dict[str, Any]] = {}
    resources: dict[str, dict[str, list[dict[str, Any]]]] = {}
    paths = sorted((Path(work) / "spill").glob(f"c*-b{bucket}.ndjson"))
    for r in _ndjson(paths):
        owner = patient_of(r)
        if owner is None:
            continue
        if r["resourceType"] == "Patient":
            patients[owner] = r
        else:
            key = KEY_OF_TYPE[r["resourceType"]]
            resources.setdefault(owner, {}).setdefault(key, []).append(r)
    engine = worker_engine()
    day = date.fromisoformat(today)
    rows: list[dict[str, Any]] = []
    off_list: list[dict[str, Any]] = []
    # A patient whose Patient line could not be read is evaluated all the same (the summary
    # card names it); one the Patient file does not name at all is not a patient of the export.
    broken = {p for p in resources if "patient" in unreadable.get(p, {})}
    orphans = sorted(set(resources) - set(patients) - broken)
    evaluated = sorted(set(patients) | broken)
    for pid in evaluated:
        own = resources.get(pid, {})
        meds = own.get("medicationRequests", []) + own.get("medicationAdministrations", [])
        meds += own.get("medicationStatements", [])
        prefetch = prefetch_of(patients.get(pid), own, supplied)
        if pid in broken:
            del prefetch["patient"]  # unreadable, not "no patient details"
        referenced = _referenced_medications(meds, work)
        if referenced:
            prefetch["medications"] = referenced
        evaluation = engine.evaluate(pid, prefetch, day, unreadable=unreadable.get(pid))
        entry = patient_entry(pid, evaluation)
        if entry is not None:
            (rows if entry[0] else off_list).append(entry[1])
    document = {
        "bucket": bucket,
        "evaluated": len(evaluated),
        "rows": rows,
        "off_list": off_list,
        "orphans": orphans,
    }
    write_json(out, document)
    return document
