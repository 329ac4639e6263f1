"""The distributed engine: a Dask LocalCluster (2 in-process workers, to spare the shared
machine) gives exactly the local engine's worklist."""

from __future__ import annotations

from pathlib import Path

from tests.population.conftest import TODAY

from sarcoma_cds.population.runner import DaskRunner
from sarcoma_cds.population.screen import ScreenResult, screen


def test_dask_local_cluster_gives_the_same_worklist(
    examples_export: Path, examples_screened: ScreenResult, tmp_path: Path
) -> None:
    runner = DaskRunner(processes=False)
    try:
        assert runner.workers >= 1
        result = screen(examples_export, tmp_path / "out", TODAY, runner)
    finally:
        runner.close()
    assert result.engine == "dask"
    assert result.rows == examples_screened.rows
    assert result.types == examples_screened.types
