"""The NDJSON files of a Bulk Data export, cut into chunks that workers read independently.

A plain file is cut at line boundaries into chunks of about `CHUNK_BYTES`; a gzip file cannot be
entered in the middle, so it is one chunk. Line numbers are counted per chunk and turned into
file line numbers once every chunk's line count is known (`LineNumbers`).
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

CHUNK_BYTES = 16 * 1024 * 1024
SUFFIXES = (".ndjson", ".ndjson.gz")


class SourceError(Exception):
    """The export cannot be screened (no files, unreadable folder): a one-line message."""


@dataclass(frozen=True)
class Chunk:
    index: int
    path: str  # absolute path of the file
    name: str  # the file's name relative to the export folder, for messages
    start: int  # byte offset of the first line (0 for gzip)
    end: int  # byte offset past the last line (-1: to the end, gzip)

    @property
    def gzip(self) -> bool:
        return self.path.endswith(".gz")


def export_files(folder: Path) -> list[Path]:
    """`*.ndjson` and `*.ndjson.gz` under the folder (not recursive), sorted by name."""
    if not folder.is_dir():
        raise SourceError(f"{folder}: not a folder")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(SUFFIXES))
    if not files:
        raise SourceError(f"{folder}: no *.ndjson or *.ndjson.gz files")
    return files


def fingerprint(files: list[Path]) -> list[list[object]]:
    """What identifies the export for a resumed run: names, sizes and modification times."""
    out: list[list[object]] = []
    for p in files:
        st = p.stat()
        out.append([p.name, st.st_size, st.st_mtime_ns])
    return out


def plan_chunks(folder: Path, chunk_bytes: int = CHUNK_BYTES) -> list[Chunk]:
    chunks: list[Chunk] = []
    for path in export_files(folder):
        if path.name.endswith(".gz"):
            chunks.append(Chunk(len(chunks), str(path), path.name, 0, -1))
            continue
        size = path.stat().st_size
        with path.open("rb") as f:
            start = 0
            while start < size:
                f.seek(min(start + chunk_bytes, size))
                if f.tell() < size:
                    f.readline()  # to the start of the next line
                end = f.tell()
                chunks.append(Chunk(len(chunks), str(path), path.name, start, end))
                start = end
    return chunks


def _open(chunk: Chunk) -> IO[bytes]:
    if chunk.gzip:
        return cast(IO[bytes], gzip.open(chunk.path, "rb"))
    f = open(chunk.path, "rb")  # noqa: SIM115 - closed by the caller's `with`
    f.seek(chunk.start)
    return f


def lines(chunk: Chunk) -> Iterator[bytes]:
    """Every line of the chunk (with its newline), blank ones included so that numbers hold."""
    with _open(chunk) as f:
        if chunk.end < 0:
            yield from f
            return
        remaining = chunk.end - chunk.start
        for line in f:
            yield line
            remaining -= len(line)
            if remaining <= 0:
                return


@dataclass(frozen=True)
class LineNumbers:
    """Chunk-relative line numbers → file line numbers (1-based)."""

    offsets: dict[int, int]  # chunk index → lines of the same file before it

    @classmethod
    def of(cls, chunks: list[Chunk], counts: dict[int, int]) -> LineNumbers:
        offsets: dict[int, int] = {}
        before: dict[str, int] = {}
        for c in chunks:
            offsets[c.index] = before.get(c.path, 0)
            before[c.path] = offsets[c.index] + counts.get(c.index, 0)
        return cls(offsets)

    def line(self, chunk: int, line_in_chunk: int) -> int:
        return self.offsets[chunk] + line_in_chunk


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
