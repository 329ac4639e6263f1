"""What every pass shares: the engine each worker loads once, the work folder's JSON files
(written atomically), the prefetch key of each resource type, and the index of runs with the
patient hash that pass 1 writes and pass 2 looks up."""

from __future__ import annotations

import os
import zlib
from array import array
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from sarcoma_cds.fhir.prefetch_templates import PREFETCH_TEMPLATES, resource_type_of
from sarcoma_cds.pipeline import Engine
from sarcoma_cds.settings import Settings

# Prefetch key of each resource type (the patient-view templates, plus the two types that
# arrive only inside a patient's other resources in patient-view).
KEY_OF_TYPE: dict[str, str] = {
    resource_type_of(t): k for k, t in PREFETCH_TEMPLATES.items() if k != "patient"
} | {"BodyStructure": "bodyStructures", "Medication": "medications"}
MEDICATION_MARK = 0xFFFFFFFF  # the "patient hash" of a Medication line (kept for everyone)


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


def patient_hash(patient: str) -> int:
    return zlib.crc32(patient.encode()) & 0x7FFFFFFF


@dataclass
class Index:
    """Pass 1's index of a chunk: run i is `counts[i]` consecutive lines from `starts[i]` (a
    byte offset; a line number in a gzip chunk), all of the patient hashed `hashes[i]`."""

    starts: array[int]  # "Q"
    counts: array[int]  # "L"
    hashes: array[int]  # "L"

    def write(self, path: Path) -> None:
        with path.open("wb") as f:
            for a in (self.starts, self.counts, self.hashes):
                a.tofile(f)

    @classmethod
    def read(cls, path: Path, runs: int) -> Index:
        index = cls(array("Q"), array("L"), array("L"))
        with path.open("rb") as f:
            for a in (index.starts, index.counts, index.hashes):
                a.fromfile(f, runs)
        return index
