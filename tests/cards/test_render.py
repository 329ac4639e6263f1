"""Card text for every fact state: not applicable reads as such, never as missing data, and
category values in the dictionary's words."""

from __future__ import annotations

import re

from sarcoma_cds.cards.render import fill, said_text, sentence, value_text
from sarcoma_cds.cards.summary_facts import fact_brief, facts_paragraph
from sarcoma_cds.clinical.dictionary import default_dictionary
from sarcoma_cds.clinical.facts import Evidence, Fact
from sarcoma_cds.paths import default_rules_dir

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


def test_a_no_the_dictionary_says_as_a_sentence_names_what_it_rests_on() -> None:
    """REVIEW4 m2/m3: never "Not a surgical candidate: no" (a double negative read as
    candidacy, which is the MDT's call, 6.2) nor "On systemic therapy: no" on an empty record."""
    d = default_dictionary()
    fit = Fact.of(False, [Evidence(ref="Observation/e", date="2026-05-10", what="ECOG 0")])
    assert fact_brief(d["not_surgical_candidate"], fit) == (
        "No contraindication to surgery recorded (ECOG 0, 2026-05-10)"
    )
    assert said_text(fit, d["not_surgical_candidate"]) == "No contraindication to surgery recorded"
    unfit = Fact.of(True, note="ECOG 3 (≥ 3)")
    assert fact_brief(d["not_surgical_candidate"], unfit) == "Not a surgical candidate: yes"
    none = Fact.of(False, note="none recorded")
    assert fact_brief(d["on_systemic_therapy"], none) == "Systemic therapy: none recorded"
    assert fact_brief(d["on_systemic_therapy"], Fact.of(False)) == "On systemic therapy: no"


def test_the_summarys_own_facts_never_print_a_silent_none_or_zero() -> None:
    """REVIEW4 m1: no current metastasis reads "none recorded", and a lesion count nobody took
    says so; other facts that do not apply stay off the line."""
    d = default_dictionary()
    facts = {
        "metastatic_sites": Fact.of(()),
        "lesion_count": Fact.not_applicable("not recorded since the metastasectomy (2025-05-20)"),
        "tfi_months": NA,
    }
    names = ["metastatic_sites", "lesion_count", "tfi_months"]
    assert facts_paragraph(names, facts, d, pinned=["metastatic_sites", "lesion_count"]) == (
        "Metastatic sites: none recorded · Lesion count: not recorded since the metastasectomy "
        "(2025-05-20)"
    )
    assert facts_paragraph(names, facts, d) == "Metastatic sites: none recorded"


def test_facts_said_as_clinical_sentences_not_field_names() -> None:
    """REVIEW5 m4, m5, m9: "TFI 27 months (ablation … → recurrence …)", "ECOG 0 (2026-04-20)",
    "Sarcoma recorded (2025-09-03)", never "Treatment-free interval (months): 27", "Good
    performance status: yes" or "Soft tissue sarcoma: yes"."""
    d = default_dictionary()
    tfi = Fact.of(27, note="27 months (ablation 2024-01-15 → recurrence 2026-04-15)")
    assert fact_brief(d["tfi_months"], tfi) == (
        "TFI 27 months (ablation 2024-01-15 → recurrence 2026-04-15)"
    )
    ps = Fact.of(True, [Evidence(ref="Observation/e", date="2026-04-20", what="ECOG 0")])
    assert fact_brief(d["good_performance_status"], ps) == "ECOG 0 (2026-04-20)"
    poor = Fact.of(False, [Evidence(ref="Observation/e", date="2026-04-20", what="ECOG 2")])
    assert fact_brief(d["good_performance_status"], poor) == "ECOG 2 (2026-04-20)"
    sts = Fact.of(True, [Evidence(ref="Condition/p", date="2025-09-03", what="primary STS")])
    assert fact_brief(d["sts"], sts) == "Sarcoma recorded (2025-09-03)"
    liver = Fact.of(True, [Evidence(ref="Condition/m", date="2026-05-04", what="liver")])
    assert fact_brief(d["liver_metastasis_ever"], liver) == "Liver metastasis recorded (2026-05-04)"
    assert fact_brief(d["metastatic"], liver) == "Metastatic disease recorded (2026-05-04)"
    # A sentence that needs a date the evidence lacks falls back to "label: value".
    assert fact_brief(d["sts"], Fact.of(True)) == "Soft tissue sarcoma: yes"
    assert said_text(Fact.of(False), d["sts"]) is None


def test_placeholder_said_and_a_sentence_opened_by_a_placeholder() -> None:
    """REVIEW6 m3, m6: `{fact.said}` is the fact as the Facts line says it ("ECOG 1
    (2026-03-05)"), its value where the dictionary has no sentence; a placeholder that opens a
    statement opens its sentence with a capital."""
    ps = Fact.of(True, [Evidence(ref="Observation/e", date="2026-03-05", what="ECOG 1")])
    facts = {"good_performance_status": ps, "oligometastatic": Fact.of(True)}
    assert fill("OMD and {good_performance_status.said} are met", facts) == (
        "OMD and ECOG 1 (2026-03-05) are met"
    )
    assert fill("OMD {oligometastatic.said}", facts) == "OMD yes"
    doubt = {"sts": Fact.indeterminate("a soft tissue sarcoma cannot be ruled out: x")}
    assert sentence("{sts.reason}.", doubt) == "A soft tissue sarcoma cannot be ruled out: x."
    assert fill("{sts.reason}.", doubt) == "a soft tissue sarcoma cannot be ruled out: x."
    assert sentence("Sarcoma: {sts.reason}.", doubt) == (
        "Sarcoma: a soft tissue sarcoma cannot be ruled out: x."
    )


def test_on_systemic_therapy_said_with_its_start() -> None:
    """REVIEW6 m4: "On systemic therapy since 2025-12-01", not "On systemic therapy: yes"."""
    d = default_dictionary()
    on = Fact.of(True, [Evidence(ref="Procedure/c", date="2025-12-01")], note="since 2025-12-01")
    assert fact_brief(d["on_systemic_therapy"], on) == "On systemic therapy since 2025-12-01"
    assert fact_brief(d["on_systemic_therapy"], Fact.of(True)) == "On systemic therapy: yes"


def test_the_tfi_is_never_named_twice() -> None:
    """The TFI's note and reason already open with "TFI …" ("TFI 27 months since liver resection
    (2024-01-15), over 12 months"): a rule text must not put a second "TFI" before them."""
    texts = [
        line
        for path in (default_rules_dir() / "rules").glob("*.yaml")
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert not [t for t in texts if re.search(r"TFI \{tfi_favourable\.(explain|note)\}", t)]
    known = Fact.of(True, note="TFI 27 months since liver resection (2024-01-15), over 12 months")
    filled = fill("{tfi_favourable.explain}", {"tfi_favourable": known})
    assert filled == "TFI 27 months since liver resection (2024-01-15), over 12 months"
