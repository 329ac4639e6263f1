"""Fixtures of the population tests: the examples as an export, screened once per session."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from tests.support.bulk_export import write_export

from sarcoma_cds.population.runner import LocalRunner
from sarcoma_cds.population.screen import ScreenResult, screen

TODAY = date(2026, 6, 1)


@pytest.fixture(scope="session")
def local_runner() -> Iterator[LocalRunner]:
    runner = LocalRunner(workers=2)
    yield runner
    runner.close()


@pytest.fixture(scope="session")
def examples_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export")
    write_export(folder)
    return folder


@pytest.fixture(scope="session")
def examples_screened(
    examples_export: Path, local_runner: LocalRunner, tmp_path_factory: pytest.TempPathFactory
) -> ScreenResult:
    return screen(examples_export, tmp_path_factory.mktemp("out"), TODAY, local_runner)
