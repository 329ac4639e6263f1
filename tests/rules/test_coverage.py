"""Every one of the 34 recommendations is cited by some card."""

from __future__ import annotations

from sarcoma_cds.rules.coverage import coverage, coverage_report, unaccounted
from sarcoma_cds.rules.loader import RuleSet


def test_all_34_recommendations_are_accounted_for(ruleset: RuleSet) -> None:
    assert unaccounted(ruleset) == []
    cov = coverage(ruleset)
    assert len(cov) == 34
    assert all(cov.values())


def test_non_consensus_recommendations_each_drive_a_card(ruleset: RuleSet) -> None:
    cov = coverage(ruleset)
    assert cov["3.2"] == ["biopsy"]
    assert cov["5.5"] == ["treatment-pathway"]
    assert cov["10.2"] == ["local-therapy"]


def test_report_names_every_recommendation(ruleset: RuleSet) -> None:
    report = coverage_report(ruleset)
    for rid in ruleset.recommendations:
        assert f"\n{rid} " in report
    assert "34 of 34 recommendations accounted for" in report
