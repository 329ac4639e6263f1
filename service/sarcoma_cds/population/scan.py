"""Pass 1: read every line of a chunk once; count resource types; note malformed lines (with
a guess at their patient); name the candidate patients (candidates.py); and index, for pass 2,
the runs of lines the engine reads by patient (20 bytes a run, `work.Index`), so that pass 2
reads only the candidates' lines instead of the whole chunk again.

This pass sees every line of the export, so it is written for speed: a plain chunk is read in
one call and split in C (no per-line read); each line is decoded into a small `Head` instead of
a dict of the whole resource; a line of the same patient as the line before costs one
comparison; and the candidate test is cached per shape of the coded elements (candidates.py).
A byte-level pre-filter (a regular expression over the line's `"code"` values, parsing only
the lines it lets through) was measured and dropped: it cost as much per line as the test it
would spare, and every line must be parsed anyway to be counted as valid or malformed.
"""

from __future__ import annotations

import gzip
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import msgspec
import orjson

from sarcoma_cds.population.candidates import (
    DECIDING_TYPES,
    ENGINE_TYPES,
    HEAD,
    LOOSE_HEAD,
    CodeFilter,
    LooseHead,
    guess_owner,
    owner,
)
from sarcoma_cds.population.source import Chunk
from sarcoma_cds.population.work import (
    MEDICATION_MARK,
    Index,
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


def _blocks(chunk: Chunk) -> Iterator[tuple[list[bytes], bool]]:
    """The chunk's lines, without their newline, in blocks, and whether the block is all
    ASCII (then every line is UTF-8): a plain chunk in one read; a gzip file (one chunk,
    perhaps large) a few megabytes at a time, so memory stays bounded. A line is what
    `for line in file` gives: up to and including a `\n`."""
    if chunk.gzip:
        with gzip.open(chunk.path, "rb") as z:
            while block := z.readlines(GZIP_BLOCK):
                lines = [line[:-1] if line.endswith(b"\n") else line for line in block]
                yield lines, b"".join(block).isascii()
        return
    with open(chunk.path, "rb") as f:
        f.seek(chunk.start)
        data = f.read(chunk.end - chunk.start)
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()  # the newline ending the last line starts no line
    yield lines, data.isascii()


_UNREAD: Any = LooseHead()  # the head of a line that is malformed or blank (already noted)


def _head(result: ScanResult, n: int, line: bytes) -> Any:
    """The head of a line msgspec refused (or that is not UTF-8), decided as orjson decides:
    a `LooseHead`, or `_UNREAD` when the line is malformed (counted and noted) or blank."""
    try:
        resource = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        if line.strip():
            _malformed(result, n, line, f"not valid JSON ({exc.args[0]})")
        return _UNREAD
    if type(resource) is not dict:
        resource = {}  # no resourceType: noted by the caller
    return LOOSE_HEAD.decode(orjson.dumps(resource))  # rare: what orjson reads, msgspec reads


_BREAK = object()  # the reference of "no run goes on": equal to no reference
# A line of these types starts a run of its own, whatever it references: a Patient is its own
# patient, a Medication belongs to everyone.
_OWN_RUNS = frozenset({"Patient", "Medication"})


class _Runs:
    """Pass 2's index as pass 1 builds it."""

    def __init__(self, result: ScanResult, is_candidate: Callable[[str, Any, bytes], bool]):
        self.index = Index(array("Q"), array("L"), array("L"))
        self._result = result
        self._is_candidate = is_candidate

    def start(self, where: int, rtype: str, head: Any, ref: Any, line: bytes) -> str | None:
        """A new run from this line: its patient ("" for Medications), or None when the line
        names no patient (no run: the engine never sees the line)."""
        if rtype == "Medication":
            patient, mark = "", MEDICATION_MARK
        else:
            found = owner(rtype, head.id, ref)
            if found is None:
                if rtype in DECIDING_TYPES and self._is_candidate(rtype, head, line):
                    self._result.no_patient += 1
                return None
            patient, mark = found, patient_hash(found)
        self.index.starts.append(where)
        self.index.counts.append(1)
        self.index.hashes.append(mark)
        return patient


def _scan(chunk: Chunk) -> tuple[ScanResult, Index]:
    """The chunk's counts and candidates, and pass 2's index: the runs of consecutive lines
    the engine reads that belong to one patient (Medications: to everyone) — where each run
    starts (its byte offset; its line number in a gzip file, which cannot be entered at an
    offset), how many lines it has, and whose it is. An export lists a patient's resources
    together, so a run is usually all of a patient's lines of a file, and a line that goes on
    a run costs one comparison of its reference. This is the only code that runs for every
    line of the export, so it is one loop.

    Each line is decoded by msgspec into a `Head` (candidates.py), which parses the whole line
    but builds only the type, the patient reference and the raw coded elements. msgspec
    accepts two things in the elements it skips that orjson, the parser of passes 2 and 3,
    refuses: bytes that are not UTF-8 (checked here: such a line takes orjson's path) and
    numbers beyond a double (valid JSON; pass 2 re-parses each of a candidate's lines with
    orjson and names such a line unreadable there)."""
    result = ScanResult(chunk.index)
    types, candidates = result.types, result.candidates
    is_candidate = _code_filter().is_candidate
    runs = _Runs(result, is_candidate)
    counts = runs.index.counts
    decode, refused = HEAD.decode, msgspec.DecodeError  # ValidationError is a DecodeError
    at, n, gz = chunk.start, 0, chunk.gzip
    last: Any = _BREAK  # the reference of the run the previous line went on
    patient = ""  # of the run `last`
    for block, ascii in _blocks(chunk):
        for line in block:
            n += 1
            here, at = at, at + len(line) + 1
            try:
                head: Any = decode(line)
                if not ascii:
                    line.decode()
            except (refused, UnicodeDecodeError):
                head = _head(result, n, line)
            rtype = head.resourceType
            if type(rtype) is not str or rtype not in ENGINE_TYPES:
                last = _BREAK
                _count(result, n, line, head)
                continue
            types[rtype] += 1
            ref = head.subject or head.patient
            if ref == last and rtype not in _OWN_RUNS:
                counts[-1] += 1  # the same patient's run goes on: `patient` holds
            else:
                found = runs.start(n if gz else here, rtype, head, ref, line)
                if found is None:
                    last = _BREAK
                    continue
                patient, last = found, _BREAK if rtype in _OWN_RUNS else ref
            if (
                rtype in DECIDING_TYPES
                and patient not in candidates
                and is_candidate(rtype, head, line)
            ):
                candidates.add(patient)
    result.lines = n
    return result, runs.index


def _count(result: ScanResult, n: int, line: bytes, head: Any) -> None:
    """A line the engine does not read: its type counted, or the line noted as malformed."""
    rtype = head.resourceType
    if type(rtype) is str:
        result.types[rtype] += 1
    elif head is not _UNREAD:
        _malformed(result, n, line, "not a FHIR resource (no resourceType)")


def scan_chunk(chunk: Chunk, work: str) -> dict[str, Any]:
    out = Path(work) / "scan" / f"chunk-{chunk.index}.json"
    if out.is_file():
        document: dict[str, Any] = read_json(out)
        return document
    result, index = _scan(chunk)
    index.write(Path(work) / "scan" / f"chunk-{chunk.index}.idx")
    document = result.as_json() | {"indexed": len(index.starts)}
    write_json(out, document)
    return document
