"""One loader for every YAML data file (clinical/datafile.py): each kind of knowledge reports an
unreadable file, bad YAML and a schema error the same way, under its own error type."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import ROOT

from sarcoma_cds.clinical.dictionary import FactDictionaryError, load_fact_dictionary
from sarcoma_cds.clinical.params import ParameterError, load_parameters
from sarcoma_cds.clinical.valuesets import ValueSetError, load_file
from sarcoma_cds.rules.loader import RulesError, load_recommendations

RULES = ROOT / "cql-free-rules"

LOADERS: list[tuple[str, Callable[[Path], Any], type[Exception]]] = [
    ("parameters.yaml", load_parameters, ParameterError),
    ("facts.yaml", load_fact_dictionary, FactDictionaryError),
    ("valuesets/asa.yaml", load_file, ValueSetError),
    ("recommendations.yaml", load_recommendations, RulesError),
]


@pytest.mark.parametrize(("name", "load", "error"), LOADERS)
def test_each_file_loads_and_fails_the_same_way(
    name: str, load: Callable[[Path], Any], error: type[Exception], tmp_path: Path
) -> None:
    load(RULES / name)  # the shipped file is valid
    path = tmp_path / Path(name).name
    with pytest.raises(error, match=rf"^{path}: cannot be read: "):
        load(path)
    path.write_text("key: [unclosed\n")
    with pytest.raises(error, match=rf"^{path}: not valid YAML: "):
        load(path)
    shutil.copy(RULES / name, path)
    path.write_text(path.read_text() + "\nunexpected_key: 1\n")
    with pytest.raises(error, match=rf"^{path}: at unexpected_key: Extra inputs are not permitted"):
        load(path)
