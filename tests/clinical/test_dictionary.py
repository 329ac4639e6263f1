"""The fact dictionary (cql-free-rules/facts.yaml): validated on load, and the profile derives
exactly its facts with only the category values it allows."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.clinical.conftest import ROOT, TODAY
from tests.support.fhir_data import PID, liver_met, lms_primary, prefetch_of

from sarcoma_cds.clinical import tumour
from sarcoma_cds.clinical.dictionary import (
    FactDefinition,
    FactDictionary,
    FactDictionaryError,
    default_dictionary,
    load_fact_dictionary,
)
from sarcoma_cds.clinical.params import default_parameters
from sarcoma_cds.clinical.profile import derive_profile
from sarcoma_cds.clinical.valuesets import ValueSets
from sarcoma_cds.fhir.prefetch import collect


def test_the_shipped_dictionary_describes_every_fact() -> None:
    d = load_fact_dictionary(ROOT / "cql-free-rules" / "facts.yaml")
    assert list(d) == list(default_dictionary())
    assert d.allowed("timing") == ("synchronous", "metachronous")
    assert d.allowed("response_to_systemic_therapy") == ("improved", "stable", "progressed")
    assert set(tumour.HISTOLOGIES) | {"gist", "other_sts"} == set(d.allowed("histology"))
    assert d["histology"].words("asps") == "alveolar soft part sarcoma"
    assert d["histology"].words("myxoid_liposarcoma") == "myxoid liposarcoma"
    assert d["dfi_months"].unit == "months"
    for name, definition in d.items():
        assert definition.label and definition.section, name


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("kind: category\n    label: X\n    section: s", "allowed values"),
        ("kind: bool\n    label: X\n    section: s\n    values: {a: }", "allowed values"),
        ("kind: bool\n    label: X\n    section: s\n    unit: mm", "only numbers carry a unit"),
        ("kind: number\n    label: X\n    section: s", "at facts.x.kind"),
        ("kind: bool\n    section: s", "at facts.x.label"),
    ],
)
def test_an_invalid_entry_is_refused_with_file_and_path(
    entry: str, problem: str, tmp_path: Path
) -> None:
    path = tmp_path / "facts.yaml"
    path.write_text(f"facts:\n  x:\n    {entry}\n")
    with pytest.raises(FactDictionaryError) as err:
        load_fact_dictionary(path)
    assert str(path) in str(err.value)
    assert problem in str(err.value)


def test_a_derived_category_value_outside_the_dictionary_is_refused(valuesets: ValueSets) -> None:
    record = collect(PID, prefetch_of([lms_primary("2022-01-15"), liver_met(onset="2024-03-01")]))
    shipped = default_dictionary()
    assert derive_profile(record, valuesets, default_parameters(), TODAY)["timing"].value == (
        "metachronous"
    )
    narrowed = dict(shipped)
    narrowed["timing"] = FactDefinition(
        kind="category", label="Timing", section="s", values={"synchronous": None}
    )
    with pytest.raises(RuntimeError, match="'timing' derived 'metachronous', not in the fact"):
        derive_profile(record, valuesets, default_parameters(), TODAY, FactDictionary(narrowed))


def test_the_profile_derives_exactly_the_dictionarys_facts(valuesets: ValueSets) -> None:
    record = collect(PID, prefetch_of([]))
    fewer = FactDictionary({k: v for k, v in default_dictionary().items() if k != "bilobar"})
    with pytest.raises(RuntimeError, match=r"extra \{'bilobar'\}"):
        derive_profile(record, valuesets, default_parameters(), TODAY, fewer)


def test_a_yes_no_fact_is_said_by_yes_and_no_any_other_by_value(tmp_path: Path) -> None:
    path = tmp_path / "facts.yaml"
    path.write_text(
        'facts:\n  x:\n    kind: int\n    label: X\n    section: s\n    said: {"no": "X"}\n'
    )
    with pytest.raises(FactDictionaryError, match='said by "yes" and "no", any other by "value"'):
        load_fact_dictionary(path)
    shipped = default_dictionary()["not_surgical_candidate"].said
    assert shipped == {"no": "No contraindication to surgery recorded"}
