"""Order templates are checked as R4 ServiceRequests at start-up, in a child process, so the
serving process never carries fhir.resources (issue 18); an invalid template stops start-up."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import ROOT

from sarcoma_cds.cards import orders
from sarcoma_cds.pipeline import Engine
from sarcoma_cds.rules.loader import RulesError
from sarcoma_cds.settings import Settings

GOOD_CODE = 'code: "86259008", display: "Biopsy of liver"'
BAD_CODE = 'code: " 86259008", display: "Biopsy of liver"'  # FHIR codes have no leading space


def _rules_with_a_bad_order(tmp_path: Path) -> Path:
    folder = tmp_path / "rules-copy"
    shutil.copytree(ROOT / "cql-free-rules", folder)
    biopsy = folder / "rules" / "biopsy.yaml"
    text = biopsy.read_text()
    assert GOOD_CODE in text
    biopsy.write_text(text.replace(GOOD_CODE, BAD_CODE, 1))
    return folder


def test_an_invalid_order_template_stops_start_up_naming_it(tmp_path: Path) -> None:
    with pytest.raises(RulesError) as caught:
        Engine.load(Settings(rules_dir=_rules_with_a_bad_order(tmp_path)))
    message = str(caught.value)
    assert "rule biopsy: suggestion liver-biopsy" in message
    assert "not a valid ServiceRequest" in message
    assert "code.coding.0.code" in message  # fhir.resources' own reason, as it gave it


def test_without_a_child_process_the_same_check_runs_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    orders._problems_of.cache_clear()
    with pytest.raises(RulesError, match="not a valid ServiceRequest"):
        Engine.load(Settings(rules_dir=_rules_with_a_bad_order(tmp_path)))
    orders._problems_of.cache_clear()
    Engine.load(Settings())  # the shipped templates pass the in-process check too


def test_the_serving_process_never_imports_fhir_resources() -> None:
    probe = (
        "import sys\n"
        "from sarcoma_cds.pipeline import Engine\n"
        "from sarcoma_cds.settings import Settings\n"
        "Engine.load(Settings())\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fhir', 'fhir_core')))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "service")}
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "[]"
