"""The README's example response is what the service really answers (kept honest by a test)."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.conftest import ROOT, card_topics, load_manifest


def test_readme_card_is_the_real_output(example_results: dict[str, Any]) -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"of the response in full.*?```json\n(.*?)\n```", readme, re.S)
    assert block, "README lost its example card"
    shown = json.loads(block.group(1))
    entry = next(e for e in load_manifest() if e["file"].startswith("01-"))
    cards = example_results[entry["file"]].cards_json()
    real = next(c for c in cards if "mdt-referral" in card_topics(c))
    assert shown == real


def test_readme_demo_lists_the_real_summaries(example_results: dict[str, Any]) -> None:
    readme = (ROOT / "README.md").read_text()
    entry = next(e for e in load_manifest() if e["file"].startswith("01-"))
    for card in example_results[entry["file"]].cards_json():
        assert card["summary"] in readme
