"""The three passes, as plain functions of a chunk or a bucket and the work folder, so that a
process pool and a Dask cluster run exactly the same code (and a worker needs nothing but the
shared work folder and the rules).

1. `scan_chunk`: parse every line; count types; note malformed lines (with a guess at their
   patient); name candidate patients (candidates.py).
2. `spill_chunk`: keep only the lines of candidate patients (and Medications, which belong to
   no patient), written to one file per hash bucket of the patient id.
3. `evaluate_bucket`: group one bucket's lines by patient and run each patient through the
   `Engine`, exactly as a patient-view call with those resources as prefetch would.

Every pass writes its result into the work folder (atomically) before returning, so an
interrupted run resumes where it stopped.
"""

from __future__ import annotations

import os
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from sarcoma_cds.fhir.prefetch_templates import PREFETCH_TEMPLATES, resource_type_of
from sarcoma_cds.pipeline import Engine
from sarcoma_cds.population.candidates import (
    ENGINE_TYPES,
    CodeFilter,
    guess_owner,
    mentions,
    patient_of,
)
from sarcoma_cds.population.rows import worklist_row
from sarcoma_cds.population.source import Chunk, lines
from sarcoma_cds.settings import Settings

MALFORMED_KEPT = 200  # per chunk: the report lists these, the count covers all
# Prefetch key of each resource type (the patient-view templates, plus the two types that
# arrive only inside a patient's other resources in patient-view).
KEY_OF_TYPE: dict[str, str] = {
    resource_type_of(t): k for k, t in PREFETCH_TEMPLATES.items() if k != "patient"
} | {"BodyStructure": "bodyStructures", "Medication": "medications"}


@cache
def worker_engine() -> Engine:
    """One engine per worker process (rules and value sets loaded once)."""
    return Engine.load(Settings())


def write_json(path: Path, document: Any) -> None:
    """Write then rename: a reader never sees half a file, a crash leaves no false "done"."""
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_bytes(orjson.dumps(document))
    tmp.replace(path)


def read_json(path: Path) -> Any:
    return orjson.loads(path.read_bytes())


# --- pass 1 ------------------------------------------------------------------------------------
@dataclass
class Malformed:
    chunk: int
    line: int  # 1-based, within the chunk
    reason: str
    resource_type: str | None
    patient: str | None

    def as_json(self) -> list[Any]:
        return [self.chunk, self.line, self.reason, self.resource_type, self.patient]


@dataclass
class ScanResult:
    chunk: int
    lines: int = 0
    types: Counter[str] = field(default_factory=Counter)
    candidates: set[str] = field(default_factory=set)
    malformed: list[Malformed] = field(default_factory=list)
    malformed_count: int = 0
    no_patient: int = 0  # patient resources whose patient cannot be told

    def as_json(self) -> dict[str, Any]:
        return {
            "chunk": self.chunk,
            "lines": self.lines,
            "types": dict(self.types),
            "candidates": sorted(self.candidates),
            "malformed": [m.as_json() for m in self.malformed],
            "malformed_count": self.malformed_count,
            "no_patient": self.no_patient,
        }


def _malformed(result: ScanResult, n: int, line: bytes, reason: str) -> None:
    result.malformed_count += 1
    rtype, patient = guess_owner(line)
    # Kept in full when it names a patient (that patient's record is incomplete); else the
    # first few are kept for the report.
    if patient is not None or len(result.malformed) < MALFORMED_KEPT:
        result.malformed.append(Malformed(result.chunk, n, reason, rtype, patient))


def scan_chunk(chunk: Chunk, work: str) -> dict[str, Any]:
    out = Path(work) / "scan" / f"chunk-{chunk.index}.json"
    if out.is_file():
        document: dict[str, Any] = read_json(out)
        return document
    codes = CodeFilter(worker_engine().rules.valuesets)
    result = ScanResult(chunk.index)
    for n, line in enumerate(lines(chunk), start=1):
        result.lines = n
        if not line.strip():
            continue
        try:
            resource = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            _malformed(result, n, line, f"not valid JSON ({exc.args[0]})")
            continue
        rtype = resource.get("resourceType") if isinstance(resource, dict) else None
        if not isinstance(rtype, str):
            _malformed(result, n, line, "not a FHIR resource (no resourceType)")
            continue
        result.types[rtype] += 1
        if codes.is_candidate_line(rtype, line):
            patient = patient_of(resource)
            if patient is None:
                result.no_patient += 1
            else:
                result.candidates.add(patient)
    document = result.as_json()
    write_json(out, document)
    return document


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


def _kept(line: bytes, candidates: frozenset[str]) -> tuple[str, str | None] | None:
    """(resourceType, patient or None for a Medication) of a line to keep, else None."""
    rtype, _ = guess_owner(line[:200])
    if rtype not in ENGINE_TYPES:
        return None
    if rtype not in ("Patient", "Medication") and not any(m in candidates for m in mentions(line)):
        return None  # the cheap test: the line names no candidate patient
    try:
        resource = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None  # counted by the first pass
    if not isinstance(resource, dict) or resource.get("resourceType") != rtype:
        return None
    if rtype == "Medication":
        return rtype, None
    patient = patient_of(resource)
    return (rtype, patient) if patient in candidates else None


def spill_chunk(chunk: Chunk, work: str) -> int:
    folder = Path(work) / "spill"
    done = folder / f"c{chunk.index}.done"
    if done.is_file():
        return int(done.read_text())
    candidates, buckets = _candidates(_plan_version(work))
    files: dict[int, Any] = {}
    kept = 0
    try:
        for line in lines(chunk):
            found = _kept(line, candidates)
            if found is None:
                continue
            _, patient = found
            target = -1 if patient is None else bucket_of(patient, buckets)
            if target not in files:
                name = f"c{chunk.index}-med" if target < 0 else f"c{chunk.index}-b{target}"
                files[target] = (folder / f"{name}.ndjson").open("wb")
            files[target].write(line if line.endswith(b"\n") else line + b"\n")
            kept += 1
    finally:
        for f in files.values():
            f.close()
    done.write_text(str(kept))
    return kept


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
    orphans = sorted(set(resources) - set(patients))
    for pid in sorted(patients):
        own = resources.get(pid, {})
        meds = own.get("medicationRequests", []) + own.get("medicationAdministrations", [])
        meds += own.get("medicationStatements", [])
        prefetch = prefetch_of(patients[pid], own, supplied)
        referenced = _referenced_medications(meds, work)
        if referenced:
            prefetch["medications"] = referenced
        evaluation = engine.evaluate(pid, prefetch, day, unreadable=unreadable.get(pid))
        row = worklist_row(pid, evaluation)
        if row is not None:
            rows.append(row)
    document = {"bucket": bucket, "evaluated": len(patients), "rows": rows, "orphans": orphans}
    write_json(out, document)
    return document
