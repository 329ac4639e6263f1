"""`sarcoma-cds screen SOURCE --out DIR`: the population worklist from a Bulk Data export.

SOURCE is a folder of NDJSON files, or a FHIR base / Group URL whose `$export` runs first
(bulk.py) into `DIR/export`. `run` returns the exit code or raises `ScreenError` with a
one-line message and the exit code (cli.py prints it): 1 the export or the engine failed, 2
bad input.
"""

from __future__ import annotations

import sys
from datetime import date
from importlib import import_module
from pathlib import Path

from rich.console import Console

from sarcoma_cds.pipeline import RulesError
from sarcoma_cds.population.runner import RunnerError, make_runner
from sarcoma_cds.population.screen import screen
from sarcoma_cds.population.source import SourceError

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class ScreenError(Exception):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _import_output() -> None:
    """pyarrow and the report's modules, imported while the workers run the first pass
    rather than before or after it."""
    import_module("sarcoma_cds.population.output")
    import_module("sarcoma_cds.population.report")


def run(source: str, out: Path, today: date, engine: str, scheduler: str | None) -> int:
    console = Console(stderr=True)
    requested: frozenset[str] = frozenset()
    if source.startswith(("http://", "https://")):
        # Imported here: httpx and Authlib cost a folder run half a second of start-up.
        from sarcoma_cds.population.bulk import BulkExportError, export_to_folder

        try:
            folder, requested = export_to_folder(source, out / "export", console)
        except BulkExportError as exc:
            raise ScreenError(str(exc), EXIT_FAILED) from None
    else:
        folder = Path(source)
    if not folder.is_dir():
        raise ScreenError(f"{folder}: no such folder (SOURCE is a folder or a URL)", EXIT_BAD_INPUT)
    try:
        runner = make_runner(engine, scheduler)
    except RunnerError as exc:
        raise ScreenError(str(exc), EXIT_FAILED) from None
    try:
        result = screen(folder, out, today, runner, console, requested, _import_output)
    except SourceError as exc:
        raise ScreenError(str(exc), EXIT_FAILED) from None
    except RulesError as exc:
        raise ScreenError(f"rules: {exc}", EXIT_FAILED) from None
    finally:
        runner.close()
    from sarcoma_cds.population.output import write_worklist
    from sarcoma_cds.population.report import render_report

    csv_path, parquet_path = write_worklist(result.rows, out)
    report = out / "report.html"
    report.write_text(render_report(result, today, source), encoding="utf-8")
    rate = result.patients / result.seconds if result.seconds else 0.0
    console.print(
        f"{result.patients} patients, {result.candidates} candidates, "
        f"{len(result.rows)} on the worklist, {result.malformed_count} unreadable lines skipped; "
        f"{result.seconds:.1f} s ({rate:.0f} patients/s, {result.engine}, "
        f"{result.workers} workers)"
    )
    print(f"wrote {csv_path}, {parquet_path}, {report}", file=sys.stdout)
    return 0
