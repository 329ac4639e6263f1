"""The diagnosis-text patterns of honesty.py read exactly what their plain alternations read: the
lookahead that speeds them up (issue 18) must change no match, in any case or spelling."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from sarcoma_cds.clinical import honesty

ROOT = Path(__file__).resolve().parents[2]

# The patterns as they were written before the lookahead.
PLAIN = {
    "_CANCER": r"(?i)sarcom|cancer|carcinom|malignan|neoplas|tumou?r|metasta|\bmets?\b|oncolog|"
    r"\bGIST\b|\bLMS\b|\bUPS\b|\bMFH\b",
    "_LESION": r"(?i)lesion|\bmass\b|nodule|\bSOL\b",
    "_METASTATIC": r"(?i)metasta|\bmets?\b|secondar|spread|deposit|stage\s*(iv|4)",
    "_LIVER": r"(?i)liver|hepat|\bsegment\s*[1-8IVX]+\b",
}

# Case, word edges and the characters IGNORECASE folds onto ASCII letters (long s, Kelvin sign).
EDGE_TEXTS = [
    "LEIOMYOSARCOMA of thigh",
    "ſarcoma",
    "metastatic LMS",
    "GISTs",
    "gist",
    "mets to liver",
    "Metastases",
    "hepatic SOL",
    "segment IVb lesion",
    "segment 4 mass",
    "massive",
    "Stage IV",
    "stage4",
    "ups and downs",
    "UPS",
    "MFH/UPS",
    "tumor",
    "Tumour",
    "nodules",
    "secondary malignant neoplasm of liver",
    "spread to deposits",
    "oncology follow-up",
    "",
    "\u212a",
]


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _corpus() -> list[str]:
    """Every string of the example patients and the value-set files, and the edge cases."""
    texts = set(EDGE_TEXTS)
    for path in sorted((ROOT / "fhir-examples").glob("*.json")):
        texts.update(_strings(json.loads(path.read_text())))
    for path in sorted((ROOT / "cql-free-rules" / "valuesets").glob("*.yaml")):
        texts.update(_strings(yaml.safe_load(path.read_text())))
    return sorted(texts)


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_the_lookahead_changes_no_match(name: str) -> None:
    fast: re.Pattern[str] = getattr(honesty, name)
    plain = re.compile(PLAIN[name])
    corpus = _corpus()
    assert len(corpus) > 1000
    for text in corpus:
        got, want = fast.search(text), plain.search(text)
        assert (got.span() if got else None) == (want.span() if want else None), text
