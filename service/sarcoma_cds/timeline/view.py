"""The tumour-board view of one patient: the engine's evaluation (facts, cards, recommendations)
and the timeline, as plain data for the templates.

Another adapter around the same `Engine` as the CDS Hooks service and the CLI: the facts and the
cards are the engine's, the timeline reads the same record with the same value sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sarcoma_cds.cards.render import said_text, value_text
from sarcoma_cds.clinical.dictionary import FactDefinition
from sarcoma_cds.clinical.facts import Evidence, Fact, State
from sarcoma_cds.clinical.record import Record
from sarcoma_cds.fhir.prefetch import collect
from sarcoma_cds.pipeline import Engine
from sarcoma_cds.rules.schema import Recommendation
from sarcoma_cds.timeline.events import Event, lane_title
from sarcoma_cds.timeline.layout import Layout, layout
from sarcoma_cds.timeline.model import Timeline, build_timeline

CARD_EXTENSION = "org.sarcoma-cds"


@dataclass(frozen=True)
class FactRow:
    name: str
    label: str
    state: str  # known | unknown | indeterminate
    value: str
    explanation: str  # the note (known) or what would settle it (unknown, indeterminate)
    evidence: tuple[Evidence, ...]
    unconfirmed: bool


@dataclass(frozen=True)
class DetailBlock:
    heading: str | None
    items: tuple[str, ...]


@dataclass(frozen=True)
class CardView:
    summary: str
    indicator: str
    title: str
    blocks: tuple[DetailBlock, ...]
    recommendations: tuple[Recommendation, ...]


@dataclass(frozen=True)
class TableRow:
    when: str
    lane: str
    event: str
    ref: str


@dataclass(frozen=True)
class TumourBoardView:
    patient_id: str
    today: date
    timeline: Timeline
    layout: Layout
    facts: tuple[FactRow, ...]
    cards: tuple[CardView, ...]
    data_gaps: tuple[str, ...]
    unconfirmed: tuple[str, ...]
    table: tuple[TableRow, ...]


def build_view(
    engine: Engine,
    patient_id: str,
    prefetch: Mapping[str, Any],
    today: date,
    unreadable: Mapping[str, str] | None = None,
    fhir_server: str | None = None,
) -> TumourBoardView:
    evaluation = engine.evaluate(
        patient_id, prefetch, today, unreadable=unreadable, fhir_server=fhir_server
    )
    profile = evaluation.profile
    assert profile is not None  # the real engine always derives one
    patient = collect(patient_id, prefetch, fhir_server=fhir_server)
    record = Record(patient, today, engine.rules.valuesets)
    timeline = build_timeline(record, engine.rules.valuesets, profile, engine.params, today)
    recs = engine.rules.recommendations
    return TumourBoardView(
        patient_id=patient_id,
        today=today,
        timeline=timeline,
        layout=layout(timeline),
        facts=tuple(
            _fact_row(name, profile.facts[name], definition)
            for name, definition in profile.dictionary.items()
        ),
        cards=tuple(_card_view(card, recs) for card in evaluation.cards_json()),
        data_gaps=profile.data_gaps,
        unconfirmed=profile.unconfirmed,
        table=_table(timeline),
    )


def _fact_row(name: str, fact: Fact, definition: FactDefinition) -> FactRow:
    if fact.known:
        explanation = fact.note or ""
    elif fact.state is State.NOT_APPLICABLE:
        explanation = fact.reason or ""  # nothing to settle: the question does not arise
    else:
        explanation = f"To settle: {fact.reason}" if fact.reason else ""
    return FactRow(
        name=name,
        label=definition.label,
        state=fact.state.value,
        # The summary card's words for the same value ("No contraindication to surgery recorded").
        value=said_text(fact, definition) or value_text(fact, definition).replace("_", " "),
        explanation=explanation,
        evidence=fact.evidence,
        unconfirmed=fact.unconfirmed,
    )


def _card_view(card: Mapping[str, Any], recs: Mapping[str, Recommendation]) -> CardView:
    ext = card.get("extension", {}).get(CARD_EXTENSION, {})
    ids = [i for i in ext.get("recommendations", []) if i in recs]
    topic = card.get("source", {}).get("topic", {})
    return CardView(
        summary=str(card["summary"]),
        indicator=str(card["indicator"]),
        title=str(topic.get("display") or ext.get("topic") or "Card"),
        blocks=_blocks(str(card.get("detail", ""))),
        recommendations=tuple(recs[i] for i in ids),
    )


def _blocks(markdown: str) -> tuple[DetailBlock, ...]:
    """The card's markdown detail as headed lists: `**Heading**` lines open a block, `- ` lines
    are its items. The recommendations block is left out: the view prints them in full."""
    blocks: list[DetailBlock] = []
    heading: str | None = None
    items: list[str] = []

    def close() -> None:
        if items or heading:
            blocks.append(DetailBlock(heading, tuple(items)))

    for raw in markdown.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("**") and line.count("**") == 2 and not line.startswith("- "):
            close()
            heading, items = _plain(line), []
        else:
            items.append(_plain(line[2:] if line.startswith("- ") else line))
    close()
    return tuple(b for b in blocks if not (b.heading or "").startswith("Recommendations"))


def _plain(text: str) -> str:
    return text.replace("**", "").replace("_Note:", "Note:").rstrip("_")


def _table(timeline: Timeline) -> tuple[TableRow, ...]:
    rows = [_row(lane.title, e) for lane in timeline.lanes for e in lane.events]
    rows.sort(key=lambda r: r.when)
    rows += [_row(lane_title(e.lane), e) for e in timeline.undated]
    rows += [TableRow(f"{s.start} to {s.end}", "Interval", s.label, "") for s in timeline.spans]
    rows += [TableRow(m.when.text, "Mark", m.label, "") for m in timeline.marks]
    return tuple(rows)


def _row(lane: str, e: Event) -> TableRow:
    if e.start is None:
        when = "date unknown"
    elif e.is_bar and e.end is not None:
        when = f"{e.start.text} to {e.end.text}"
    elif e.status == "ongoing":
        when = f"{e.start.text} to today (ongoing)"
    else:
        when = e.start.text
    return TableRow(when, lane, e.label, e.ref)
