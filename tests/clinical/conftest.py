"""Shared fixtures for the clinical core: the real value sets (loaded once) and `derive`, which
runs resources from the one test-data builder (`tests/support/fhir_data.py`) through `collect` +
`derive_profile` with an explicit "today"."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

import pytest
from tests.support.fhir_data import PID, Json, prefetch_of

from sarcoma_cds.clinical.params import ClinicalParameters, default_parameters
from sarcoma_cds.clinical.profile import MetastaticProfile, derive_profile
from sarcoma_cds.clinical.valuesets import ValueSets
from sarcoma_cds.fhir.prefetch import collect

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2025, 6, 1)

Derive = Callable[..., MetastaticProfile]


@pytest.fixture(scope="session")
def valuesets() -> ValueSets:
    return ValueSets.load_dir(ROOT / "cql-free-rules" / "valuesets")


@pytest.fixture(scope="session")
def derive(valuesets: ValueSets) -> Derive:
    """derive(*resources, today=..., omit=(...), birth=..., params=...) -> MetastaticProfile."""

    def run(
        *resources: Json,
        today: date = TODAY,
        omit: Iterable[str] = (),
        birth: str | None = "1960-03-15",
        params: ClinicalParameters | None = None,
    ) -> MetastaticProfile:
        record = collect(PID, prefetch_of(resources, omit=omit, birth=birth))
        return derive_profile(record, valuesets, params or default_parameters(), today)

    return run
