"""Fixtures shared across the suite: the real rules and engine (loaded once), the examples."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from sarcoma_cds.paths import repo_root
from sarcoma_cds.pipeline import Engine
from sarcoma_cds.rules.loader import RuleSet, load_rules
from sarcoma_cds.settings import Settings
from sarcoma_cds.web.logs import LOGGERS

ROOT = repo_root()
EXAMPLES = ROOT / "fhir-examples"


def load_manifest() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = yaml.safe_load((EXAMPLES / "manifest.yaml").read_text())
    return entries


def card_topics(card: dict[str, Any]) -> list[str]:
    """The topics a card gathers (a card may hold the sections of several rules)."""
    ext = card["extension"]["org.sarcoma-cds"]
    return [s["topic"] for s in ext.get("sections", [])] or [ext["topic"]]


def load_example(name: str) -> dict[str, Any]:
    request: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    return request


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(_env_file=None)


@pytest.fixture(scope="session")
def ruleset() -> RuleSet:
    return load_rules(ROOT / "cql-free-rules")


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Engine:
    return Engine.load(settings)


def evaluate_example(engine: Engine, entry: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    request = load_example(entry["file"])
    evaluation = engine.evaluate(
        request["context"]["patientId"],
        request["prefetch"],
        date.fromisoformat(entry["today"]),
        hook_instance=request["hookInstance"],
    )
    return request, evaluation


@pytest.fixture(scope="session")
def example_results(engine: Engine) -> dict[str, Any]:
    """Every example evaluated once at its own "today": file → Evaluation."""
    return {e["file"]: evaluate_example(engine, e)[1] for e in load_manifest()}


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """For tests that build the served app (`serve_app` configures the process's loggers: JSON
    to stderr, no propagation): put the loggers back, so later tests' caplog sees our records."""
    loggers = [logging.getLogger(name) for name in LOGGERS]
    saved = [(lg, list(lg.handlers), lg.level, lg.propagate) for lg in loggers]
    yield
    for lg, handlers, level, propagate in saved:
        lg.handlers[:] = handlers
        lg.setLevel(level)
        lg.propagate = propagate


def pytest_configure() -> None:
    assert Path(EXAMPLES).is_dir(), "fhir-examples/ is missing"
