"""Card wording: compact citations with evidence, strength and consensus; plurals resolved;
no internal resource ids in clinical text."""

from __future__ import annotations

from sarcoma_cds.cards.wording import (
    cite,
    clip,
    compact_citation,
    plurals,
    with_citation,
    without_refs,
)
from sarcoma_cds.rules.loader import RuleSet


def test_compact_citation_names_level_strength_and_consensus(ruleset: RuleSet) -> None:
    recs = ruleset.recommendations
    assert compact_citation(recs["5.3"]) == "5.3 · V-B · 100%"
    assert compact_citation(recs["10.2"]) == "10.2 · V-C · 77% · no consensus"
    assert cite(("5.3", "8.1"), recs) == " (5.3 · V-B · 100%; 8.1 · V-B · 94%)"
    assert cite((), recs) == ""


def test_hand_written_citations_fold_into_the_compact_one(ruleset: RuleSet) -> None:
    recs = ruleset.recommendations
    text = "Resect if complete resection is feasible (5.3), upfront or after chemotherapy (8.1)."
    assert with_citation(text, ("5.3", "8.1"), recs) == (
        "Resect if complete resection is feasible, upfront or after chemotherapy"
        " (5.3 · V-B · 100%; 8.1 · V-B · 94%)."
    )
    # a paper section or a recommendation the statement does not rest on stays where it is
    other = "Very conservative approach (paper §3.9), principles of 6.1–6.5 (6.2)."
    assert with_citation(other, ("9.1",), recs) == (
        "Very conservative approach (paper §3.9), principles of 6.1–6.5 (6.2) (9.1 · V-B · 100%)."
    )


def test_plurals_follow_the_number() -> None:
    assert plurals("2 lesion(s) in 1 site(s)") == "2 lesions in 1 site"
    assert plurals("1 malformed resource(s) skipped") == "1 malformed resource skipped"
    assert plurals("count the lesion(s)") == "count the lesions"


def test_resource_ids_leave_the_text() -> None:
    assert without_refs("2 skipped (Condition/bad-date)") == "2 skipped"
    assert without_refs("CT on 2026-04-15 (Procedure/ct-abdomen).") == "CT on 2026-04-15."
    assert without_refs("liver metastasis (C78.7)") == "liver metastasis (C78.7)"


def test_a_short_title_is_left_alone() -> None:
    title = "Synchronous OMD: systemic therapy should be the front-line approach (8.2)"
    assert clip(title) == title


def test_a_long_title_keeps_its_closing_citation_whole() -> None:
    """REVIEW4 m7: "… may be considered with it (8…" cut the citation. The cut is at a word
    boundary and the citation stays."""
    title = (
        "Synchronous OMD, improved after doxorubicin and ifosfamide (line 1), primary in place: "
        "residual liver surgery may be considered with it (8.3)"
    )
    clipped = clip(title)
    assert len(clipped) <= 139
    assert clipped.endswith("may be considered with… (8.3)")
    several = "Stage first " + "word " * 30 + "(1.1, 4.1–4.3)"
    assert clip(several).endswith("word… (1.1, 4.1–4.3)")
    assert clip(several, 60) == "Stage first word word word word word word… (1.1, 4.1–4.3)"


def test_a_cut_never_falls_inside_a_parenthesis() -> None:
    title = "Liver metastases (" + "a very long qualifier " * 8 + ") need an MDT"
    clipped = clip(title, 80)
    assert clipped == "Liver metastases…"
    assert clipped.count("(") == clipped.count(")")


def test_a_title_without_spaces_is_still_bounded() -> None:
    assert clip("x" * 200) == "x" * 138 + "…"
