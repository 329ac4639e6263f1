"""worklist.csv and worklist.parquet, written by pyarrow from one table (same columns, types)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from sarcoma_cds.population.rows import COLUMNS

_TYPES = {"string": pa.string(), "float": pa.float64(), "int": pa.int64()}
SCHEMA = pa.schema([(name, _TYPES[kind]) for name, kind in COLUMNS.items()])


def worklist_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist([{c: r.get(c) for c in COLUMNS} for r in rows], schema=SCHEMA)


def write_worklist(rows: list[dict[str, Any]], out: Path) -> tuple[Path, Path]:
    table = worklist_table(rows)
    csv_path, parquet_path = out / "worklist.csv", out / "worklist.parquet"
    pa_csv.write_csv(table, csv_path)
    pq.write_table(table, parquet_path)
    return csv_path, parquet_path
