"""Pass 1: read every line of a chunk once; count resource types; note malformed lines (with
a guess at their patient); name the candidate patients (candidates.py); and index, for pass 2,
the byte offset and a patient hash of every line the engine reads (16 bytes a line), so that
pass 2 reads only the candidates' lines instead of the whole chunk again.

This pass sees every line of the export, so it is written for speed: a plain chunk is read in
one call and split in C (no per-line read), and the candidate test reads the parsed
resource's codings with the answer cached per shape (candidates.py). A byte-level pre-filter
(a regular expression over the line's `"code"` values, parsing only the lines it lets
through) was measured and dropped: it cost as much per line as the test it would spare.
"""

from __future__ import annotations

import gzip
from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from sarcoma_cds.population.candidates import (
    DECIDING_TYPES,
    ENGINE_TYPES,
    CodeFilter,
    guess_owner,
    patient_of,
)
from sarcoma_cds.population.source import Chunk
from sarcoma_cds.population.work import (
    MEDICATION_MARK,
    patient_hash,
    read_json,
    worker_engine,
    write_json,
)

MALFORMED_KEPT = 200  # per chunk: the report lists these, the count covers all
GZIP_BLOCK = 8 * 1024 * 1024  # a gzip file is read this much at a time (one chunk, any size)


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


@cache
def _code_filter() -> CodeFilter:
    return CodeFilter(worker_engine().rules.valuesets)


def _blocks(chunk: Chunk) -> Iterator[list[bytes]]:
    """The chunk's lines, without their newline, in blocks: a plain chunk in one read; a gzip
    file (one chunk, perhaps large) a few megabytes at a time, so memory stays bounded. A
    line is what `for line in file` gives: up to and including a `\\n`."""
    if chunk.gzip:
        with gzip.open(chunk.path, "rb") as z:
            while block := z.readlines(GZIP_BLOCK):
                yield [line[:-1] if line.endswith(b"\n") else line for line in block]
        return
    with open(chunk.path, "rb") as f:
        f.seek(chunk.start)
        data = f.read(chunk.end - chunk.start)
    block = data.split(b"\n")
    if block and not block[-1]:
        block.pop()  # the newline ending the last line starts no line
    yield block


def _scan(chunk: Chunk) -> tuple[ScanResult, array[int], array[int]]:
    """The chunk's counts and candidates, and pass 2's index: where each line the engine
    reads is (its byte offset; its line number in a gzip file, which cannot be entered at an
    offset) and whose it is. One loop, no call per line beyond the parse and the patient:
    this is the only code that runs for every line of the export."""
    result = ScanResult(chunk.index)
    types, candidates = result.types, result.candidates
    is_candidate = _code_filter().is_candidate
    offsets, hashes = array("Q"), array("L")
    loads, malformed_json = orjson.loads, orjson.JSONDecodeError
    at, n, gz = chunk.start, 0, chunk.gzip
    for block in _blocks(chunk):
        for line in block:
            n += 1
            here, at = at, at + len(line) + 1
            try:
                resource = loads(line)
            except malformed_json as exc:
                if line.strip():
                    _malformed(result, n, line, f"not valid JSON ({exc.args[0]})")
                continue
            rtype = resource.get("resourceType") if type(resource) is dict else None
            if type(rtype) is not str:
                _malformed(result, n, line, "not a FHIR resource (no resourceType)")
                continue
            types[rtype] += 1
            if rtype not in ENGINE_TYPES:
                continue
            patient = None if rtype == "Medication" else patient_of(resource)
            if patient is not None or rtype == "Medication":
                offsets.append(n if gz else here)
                hashes.append(MEDICATION_MARK if patient is None else patient_hash(patient))
            if (
                rtype in DECIDING_TYPES
                and patient not in candidates
                and is_candidate(rtype, resource, line)
            ):
                if patient is None:
                    result.no_patient += 1
                else:
                    candidates.add(patient)
    result.lines = n
    return result, offsets, hashes


def scan_chunk(chunk: Chunk, work: str) -> dict[str, Any]:
    out = Path(work) / "scan" / f"chunk-{chunk.index}.json"
    if out.is_file():
        document: dict[str, Any] = read_json(out)
        return document
    result, offsets, hashes = _scan(chunk)
    with (Path(work) / "scan" / f"chunk-{chunk.index}.idx").open("wb") as f:
        offsets.tofile(f)
        hashes.tofile(f)
    document = result.as_json() | {"indexed": len(offsets)}
    write_json(out, document)
    return document
