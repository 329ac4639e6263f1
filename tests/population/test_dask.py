"""The distributed engine: a Dask LocalCluster (2 in-process workers, to spare the shared
machine) gives exactly the local engine's worklist."""

from __future__ import annotations

import socket
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from tests.population.conftest import TODAY

from sarcoma_cds.cli import main
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
    assert result.off_list == examples_screened.off_list
    assert result.types == examples_screened.types


def test_cli_runs_on_a_running_dask_cluster(
    examples_export: Path,
    examples_screened: ScreenResult,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--engine dask --scheduler ADDR`: the passes run on an existing cluster's workers."""
    from distributed import LocalCluster

    with LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        protocol="tcp://",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        argv = ["screen", str(examples_export), "--out", str(tmp_path), "--today", "2026-06-01"]
        assert main([*argv, "--engine", "dask", "--scheduler", address]) == 0
    assert "dask, 2 workers" in capsys.readouterr().err
    table = pq.read_table(tmp_path / "worklist.parquet")
    assert table.to_pylist() == examples_screened.rows


def test_unreachable_scheduler_is_a_clear_error(
    examples_export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    argv = ["screen", str(examples_export), "--out", str(tmp_path), "--engine", "dask"]
    assert main([*argv, "--scheduler", f"tcp://127.0.0.1:{port}"]) == 1
    err = capsys.readouterr().err
    assert f"cannot reach the Dask scheduler tcp://127.0.0.1:{port}" in err
    assert "Traceback" not in err
