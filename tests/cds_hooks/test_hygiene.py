from __future__ import annotations

from sarcoma_cds.cds_hooks.hygiene import find_violations, prune


def test_empty_cards_is_the_one_allowed_empty_value() -> None:
    assert find_violations({"cards": []}) == []
    assert find_violations({"cards": [{"links": []}]}) == ["$.cards[0].links"]
    assert find_violations({"other": []}) == ["$.other"]


def test_finds_nulls_and_empties_at_any_depth() -> None:
    document = {
        "cards": [{"summary": "", "source": {"label": "x", "icon": None}, "s": [{}], "ok": 0}],
        "flag": False,
    }

    assert find_violations(document) == [
        "$.cards[0].summary",
        "$.cards[0].source.icon",
        "$.cards[0].s[0]",
    ]


def test_prune_removes_violations_and_what_becomes_empty() -> None:
    document = {
        "cards": [{"summary": "ok", "links": [{"url": None}], "n": 0, "b": False, "d": {"e": ""}}]
    }

    cleaned = prune(document)

    assert cleaned == {"cards": [{"summary": "ok", "n": 0, "b": False}]}
    assert find_violations(cleaned) == []
    assert document["cards"][0]["links"] == [{"url": None}]  # the input is not modified


def test_prune_keeps_cards_even_when_all_are_pruned() -> None:
    assert prune({"cards": [{}, None]}) == {"cards": []}
