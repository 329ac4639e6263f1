"""How every example's cards read (REVIEW5 m3, m7, m8, m9, m14): durations a reader takes in at a
glance, no SNOMED semantic tags, no field names or system language, no parentheses inside
parentheses."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.conftest import load_manifest

MANIFEST = load_manifest()
IDS = [e["file"].removesuffix(".json") for e in MANIFEST]

# "0 months and 17 days", or days beyond 13 months ("41 months and 4 days"): false precision.
_BAD_DURATION = re.compile(r"\b(?:0 months and|(?:1[3-9]|[2-9]\d|\d{3,}) months and \d+ days?)")
_SEMANTIC_TAG = re.compile(r"\((?:situation|disorder|finding|procedure|morphologic abnormality)\)")
_FIELD_NAMES = (
    "Soft tissue sarcoma: yes",
    "Metastatic: yes",
    "Liver metastasis ever",
    "Good performance status: yes",
    "Treatment-free interval (months)",
    "counted, to be confirmed",
    "from the diagnoses)",
)


def _texts(example_results: Any, entry: dict[str, Any]) -> list[str]:
    cards = example_results[entry["file"]].cards_json()
    return [f"{c['summary']}\n{c.get('detail', '')}" for c in cards]


def _depth(line: str) -> int:
    depth = deepest = 0
    for ch in line:
        if ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth -= 1
    return deepest


@pytest.mark.parametrize("entry", MANIFEST, ids=IDS)
def test_cards_read_as_clinical_text(entry: dict[str, Any], example_results: Any) -> None:
    for text in _texts(example_results, entry):
        assert not _BAD_DURATION.search(text), _BAD_DURATION.search(text)
        assert not _SEMANTIC_TAG.search(text), _SEMANTIC_TAG.search(text)
        for words in _FIELD_NAMES:
            assert words not in text, words
        for line in text.splitlines():
            assert _depth(line) < 2, line
