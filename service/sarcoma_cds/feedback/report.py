"""`sarcoma-cds feedback report`: what clinicians did with the cards, per rule and suggestion.

Counts come from the issued cards (`cds_card_issued`: which rule issued each card uuid) and the
stored feedback, each event counted once (a repeated click is one acceptance, also in rows
stored before repeats were recognised). Rates are over the cards shown: a card nobody acted on
counts as shown, neither accepted nor overridden. Free-text override comments are never shown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sarcoma_cds.feedback.store import FeedbackRecord, IssuedCard


@dataclass(frozen=True)
class RuleStats:
    topic: str
    rule: str
    shown: int
    accepted: int  # cards with at least one accepted suggestion
    overridden: int  # cards overridden


@dataclass(frozen=True)
class SuggestionStats:
    topic: str
    label: str
    shown: int  # cards that offered it
    accepted: int


@dataclass(frozen=True)
class FeedbackReport:
    rules: list[RuleStats]
    suggestions: list[SuggestionStats]
    override_reasons: list[tuple[str, int]]  # "display (code)", count; most frequent first
    events: int  # distinct feedback events
    unknown_card_events: int  # feedback on card uuids this store never issued


def _rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


def build_report(
    issued: Sequence[IssuedCard], records: Sequence[FeedbackRecord], top_reasons: int = 5
) -> FeedbackReport:
    cards = {card.card_uuid: card for card in issued}
    events = {(r.card_uuid, r.event_key): r for r in records}  # a repeat is one event
    accepted_cards = {c for (c, _), r in events.items() if r.outcome == "accepted"}
    overridden_cards = {c for (c, _), r in events.items() if r.outcome == "overridden"}
    accepted_suggestions = {
        (r.card_uuid, s)
        for r in events.values()
        if r.outcome == "accepted"
        for s in r.accepted_suggestions
    }

    by_rule: dict[tuple[str, str], list[IssuedCard]] = {}
    offered: dict[tuple[str, str], list[tuple[str, str]]] = {}  # (topic, label) -> (card, uuid)
    for card in issued:
        by_rule.setdefault((card.topic, card.rule or "–"), []).append(card)
        for suggestion_uuid, label in card.suggestions.items():
            offered.setdefault((card.topic, label), []).append((card.card_uuid, suggestion_uuid))

    rules = [
        RuleStats(
            topic=topic,
            rule=rule,
            shown=len(shown),
            accepted=sum(c.card_uuid in accepted_cards for c in shown),
            overridden=sum(c.card_uuid in overridden_cards for c in shown),
        )
        for (topic, rule), shown in sorted(by_rule.items())
    ]
    suggestions = [
        SuggestionStats(
            topic=topic,
            label=label,
            shown=len(pairs),
            accepted=sum(pair in accepted_suggestions for pair in pairs),
        )
        for (topic, label), pairs in sorted(offered.items())
    ]
    reasons = Counter(
        f"{r.override_reason_display or 'no display'} ({r.override_reason_code})"
        if r.override_reason_code
        else "no reason given"
        for r in events.values()
        if r.outcome == "overridden"
    )
    return FeedbackReport(
        rules=rules,
        suggestions=suggestions,
        override_reasons=reasons.most_common(top_reasons),
        events=len(events),
        unknown_card_events=sum(card not in cards for card, _ in events),
    )


def report_json(report: FeedbackReport) -> dict[str, Any]:
    return {
        "rules": [
            {
                "topic": r.topic,
                "rule": r.rule,
                "shown": r.shown,
                "accepted": r.accepted,
                "overridden": r.overridden,
                "acceptRate": _rate(r.accepted, r.shown),
                "overrideRate": _rate(r.overridden, r.shown),
            }
            for r in report.rules
        ],
        "suggestions": [
            {
                "topic": s.topic,
                "label": s.label,
                "shown": s.shown,
                "accepted": s.accepted,
                "acceptRate": _rate(s.accepted, s.shown),
            }
            for s in report.suggestions
        ],
        "topOverrideReasons": [{"reason": k, "count": n} for k, n in report.override_reasons],
        "events": report.events,
        "unknownCardEvents": report.unknown_card_events,
    }


def render_text(report: FeedbackReport) -> str:
    lines = ["Cards per rule", "", "| topic | rule | shown | accepted | overridden |"]
    lines.append("| --- | --- | ---: | ---: | ---: |")
    for r in report.rules:
        lines.append(
            f"| {r.topic} | {r.rule} | {r.shown} | {r.accepted} ({_rate(r.accepted, r.shown)}) "
            f"| {r.overridden} ({_rate(r.overridden, r.shown)}) |"
        )
    lines += ["", "Suggestions", "", "| topic | suggestion | offered | accepted |"]
    lines.append("| --- | --- | ---: | ---: |")
    for s in report.suggestions:
        lines.append(
            f"| {s.topic} | {s.label} | {s.shown} | {s.accepted} ({_rate(s.accepted, s.shown)}) |"
        )
    lines += ["", "Top override reasons", ""]
    lines += [f"- {reason}: {count}" for reason, count in report.override_reasons] or ["- none"]
    lines += ["", f"{report.events} feedback events"]
    if report.unknown_card_events:
        lines.append(f"{report.unknown_card_events} on cards this store did not issue")
    return "\n".join(lines) + "\n"
