"""The recommendations table must reproduce Table 5 of the consensus paper faithfully.

Every printed percentage in Table 5 equals round-half-up(100 * yes / total): none differ, so the
check below is exact for all 34 rows.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml

RECOMMENDATIONS_FILE = (
    Path(__file__).resolve().parents[2] / "cql-free-rules" / "recommendations.yaml"
)

EXPECTED_IDS = [
    "1.1", "1.2", "2.1", "2.2", "3.1", "3.2", "3.3", "4.1", "4.2", "4.3",
    "5.1", "5.2", "5.3", "5.4", "5.5", "6.1", "6.2", "6.3", "6.4", "6.5",
    "7.1", "7.2", "8.1", "8.2", "8.3", "9.1", "9.2", "10.1", "10.2", "11.1",
    "11.2", "12.1", "13.1", "13.2",
]  # fmt: skip
RECOMMENDATION_KEYS = {
    "id", "question", "text", "level", "strength", "votes",
    "consensus_percent", "consensus_class", "note",
}  # fmt: skip
LEVELS = {"I", "II", "III", "IV", "V"}
STRENGTHS = {"A", "B", "C", "D", "E"}


def _load() -> dict[str, Any]:
    with RECOMMENDATIONS_FILE.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    assert isinstance(data, dict)
    return data


def _recommendations() -> list[dict[str, Any]]:
    recs = _load()["recommendations"]
    assert isinstance(recs, list)
    return recs


def _by_id(rec_id: str) -> dict[str, Any]:
    return next(r for r in _recommendations() if r["id"] == rec_id)


def _round_half_up_percent(yes: int, total: int) -> int:
    # Fraction avoids both float error and Python's banker's rounding of exact halves.
    return int(Fraction(100 * yes, total) + Fraction(1, 2))


def _class_for_percent(percent: int) -> str:
    # Thresholds from the paper's Methods: weak 80-89 %, strong 90-99 %, unanimous 100 %.
    if percent == 100:
        return "unanimous"
    if percent >= 90:
        return "strong"
    if percent >= 80:
        return "weak"
    return "not_reached"


def test_source_cites_the_consensus_paper() -> None:
    source = _load()["source"]
    assert source["doi"] == "10.3390/cancers17081295"
    assert source["url"] == "https://doi.org/10.3390/cancers17081295"
    assert "Lopes-Brás" in source["citation"]
    assert "2025;17:1295" in source["citation"]
    assert source["consensus_classes"] == {
        "unanimous": "100%",
        "strong": "90-99%",
        "weak": "80-89%",
        "not_reached": "<80%",
    }


def test_all_34_ids_in_paper_order() -> None:
    assert [r["id"] for r in _recommendations()] == EXPECTED_IDS


def test_only_schema_keys() -> None:
    for rec in _recommendations():
        assert set(rec) <= RECOMMENDATION_KEYS, rec["id"]
        assert set(rec) >= RECOMMENDATION_KEYS - {"note"}, rec["id"]
        assert set(rec["votes"]) == {"total", "yes", "no"}, rec["id"]


def test_consensus_class_counts_match_the_paper() -> None:
    counts = Counter(r["consensus_class"] for r in _recommendations())
    assert counts == {"unanimous": 12, "strong": 12, "weak": 7, "not_reached": 3}


def test_the_three_without_consensus() -> None:
    not_reached = [r["id"] for r in _recommendations() if r["consensus_class"] == "not_reached"]
    assert not_reached == ["3.2", "5.5", "10.2"]


@pytest.mark.parametrize("rec_id", EXPECTED_IDS)
def test_votes_add_up_and_percent_is_rounded_share(rec_id: str) -> None:
    rec = _by_id(rec_id)
    votes = rec["votes"]
    assert votes["yes"] + votes["no"] == votes["total"]
    assert votes["total"] > 0
    assert rec["consensus_percent"] == _round_half_up_percent(votes["yes"], votes["total"])


@pytest.mark.parametrize("rec_id", EXPECTED_IDS)
def test_class_follows_percent_thresholds(rec_id: str) -> None:
    rec = _by_id(rec_id)
    assert rec["consensus_class"] == _class_for_percent(rec["consensus_percent"])
    if rec["consensus_class"] == "unanimous":
        assert rec["votes"]["no"] == 0


@pytest.mark.parametrize("rec_id", EXPECTED_IDS)
def test_level_strength_and_text(rec_id: str) -> None:
    rec = _by_id(rec_id)
    assert rec["level"] in LEVELS
    assert rec["strength"] in STRENGTHS
    assert isinstance(rec["text"], str)
    assert len(rec["text"].strip()) > 20
    assert isinstance(rec["question"], str)
    assert rec["question"].endswith("?")
    # Table 5's markup must be gone: no HTML tags, LaTeX or the trailing "(V,B)" grade.
    for leftover in ("<", ">", "$", "\\", "(V,", "(IV,"):
        assert leftover not in rec["text"], (rec_id, leftover)


def test_questions_are_shared_within_a_topic() -> None:
    questions: dict[str, set[str]] = {}
    for rec in _recommendations():
        questions.setdefault(rec["id"].split(".")[0], set()).add(rec["question"])
    assert len(questions) == 13
    assert all(len(q) == 1 for q in questions.values())


def test_known_grades_and_votes_from_table_5() -> None:
    # Spot checks of the rows that differ from the common (V,B) grade.
    assert (_by_id("3.3")["level"], _by_id("3.3")["strength"]) == ("IV", "A")
    assert _by_id("5.4")["strength"] == "C"
    assert _by_id("5.5")["strength"] == "D"
    assert _by_id("10.2")["strength"] == "C"
    assert _by_id("3.2")["votes"] == {"total": 37, "yes": 23, "no": 14}
    assert _by_id("4.3")["votes"] == {"total": 38, "yes": 32, "no": 6}


def test_notes_only_where_the_paper_is_inconsistent() -> None:
    noted = {r["id"]: r["note"] for r in _recommendations() if "note" in r}
    assert set(noted) == {"3.2"}
    assert "Table 5" in noted["3.2"]
    assert _by_id("3.2")["level"] == "V"
    assert _by_id("3.2")["strength"] == "B"
