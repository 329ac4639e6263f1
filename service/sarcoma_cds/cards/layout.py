"""Which sections share a card, in what order, and the limits a patient's cards keep (issue 14).

A clinician reads at most four cards in an EHR side panel: the summary (status and the facts,
once), the work-up (staging and tissue diagnosis), the plan (treatment and the MDT) and the
follow-up. A section of a topic not listed here (a new rule) gets its own card; if a patient
would still see more than four, the least urgent card folds into the one before it. The most
urgent card comes first (`warning` before `info`), then the layout's order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sarcoma_cds.cards.sections import Section

MAX_CARDS = 4
MAX_DETAIL_CHARS = 800
MAX_PATIENT_DETAIL_CHARS = 2400

# card → the topics it gathers, in reading order
LAYOUT: tuple[tuple[str, ...], ...] = (
    ("summary", "not-applicable"),
    ("staging-imaging", "biopsy"),
    ("treatment-pathway", "liver-recurrence", "local-therapy", "mdt-referral"),
    ("follow-up",),
)
SUMMARY_TOPIC = "summary"


def _slot(topic: str) -> int:
    return next((i for i, topics in enumerate(LAYOUT) if topic in topics), len(LAYOUT))


def _urgency(group: Sequence[Section]) -> tuple[int, int, int]:
    lead = group[0]
    return (-max(s.rank for s in group), _slot(lead.rule.topic), lead.rule.order)


def arrange(sections: Sequence[Section]) -> list[list[Section]]:
    """Sections → cards (each a list of sections, most urgent first), most urgent card first,
    at most MAX_CARDS of them."""
    groups: dict[object, list[Section]] = {}
    for s in sorted(sections, key=lambda s: (_slot(s.rule.topic), s.rule.order)):
        slot = _slot(s.rule.topic)
        groups.setdefault(slot if slot < len(LAYOUT) else s.rule.topic, []).append(s)
    cards = sorted((_by_urgency(g) for g in groups.values()), key=_urgency)
    while len(cards) > MAX_CARDS:
        least = cards.pop()
        host = next(
            (c for c in reversed(cards) if not _is_summary(c)),
            cards[-1],
        )
        host[:] = _by_urgency([*host, *least])
    return cards


def _by_urgency(group: Sequence[Section]) -> list[Section]:
    return sorted(group, key=lambda s: (-s.rank, _slot(s.rule.topic), s.rule.order))


def _is_summary(group: Sequence[Section]) -> bool:
    return any(s.rule.topic == SUMMARY_TOPIC for s in group)


def limit_problems(cards: Sequence[dict[str, Any]]) -> list[str]:
    """How a patient's cards break the reading limits (empty: they keep them)."""
    problems = []
    if len(cards) > MAX_CARDS:
        problems.append(f"{len(cards)} cards (at most {MAX_CARDS})")
    total = 0
    for card in cards:
        size = len(card.get("detail", ""))
        total += size
        if size > MAX_DETAIL_CHARS:
            problems.append(
                f"card {card['summary']!r}: detail {size} chars (max {MAX_DETAIL_CHARS})"
            )
    if total > MAX_PATIENT_DETAIL_CHARS:
        problems.append(f"{total} chars of detail (max {MAX_PATIENT_DETAIL_CHARS} per patient)")
    return problems
