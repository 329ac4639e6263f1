"""Card text for every fact state: not applicable reads as such, never as missing data, and
category values in the dictionary's words."""

from __future__ import annotations

from sarcoma_cds.cards.render import fill, value_text
from sarcoma_cds.cards.summary_facts import fact_brief
from sarcoma_cds.clinical.dictionary import default_dictionary
from sarcoma_cds.clinical.facts import Fact

NA = Fact.not_applicable("no liver recurrence after local treatment")


def test_a_not_applicable_fact_reads_as_such_on_the_summary() -> None:
    line = fact_brief(default_dictionary()["tfi_favourable"], NA)
    assert line == "Favourable TFI: not applicable"


def test_placeholders_on_a_not_applicable_fact() -> None:
    facts = {"tfi_months": NA, "timing": Fact.not_applicable("no metastasis")}
    assert fill("TFI {tfi_months} months", facts) == "TFI not applicable months"
    assert fill("({tfi_months.reason})", facts) == (
        "(not applicable: no liver recurrence after local treatment)"
    )
    assert fill("{tfi_months.explain}", facts) == (
        "not applicable: no liver recurrence after local treatment"
    )
    assert fill("{timing}", facts) == "timing not applicable"


def test_category_values_in_the_dictionarys_words() -> None:
    histology = default_dictionary()["histology"]
    assert value_text(Fact.of("ups"), histology) == "undifferentiated pleomorphic sarcoma"
    assert value_text(Fact.of("clear_cell_sarcoma"), histology) == "clear cell sarcoma"
    assert fill("{histology}", {"histology": Fact.of("asps")}) == "alveolar soft part sarcoma"
