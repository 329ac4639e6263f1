"""The patient's timeline: lanes of events, the DFI and TFI spans, thresholds and follow-up marks.

Pure: the record, the derived profile, the thresholds and "today" in; a `Timeline` out. Dates stay
intervals throughout, so a diagnosis dated "2025" is a year-long range on the chart, never a point
on 1 January. The values printed on the spans are the profile's facts, so the chart and the cards
cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from sarcoma_cds.clinical.dating import earliest_of
from sarcoma_cds.clinical.facts import Fact, State
from sarcoma_cds.clinical.followup import interval_due
from sarcoma_cds.clinical.imaging import last_surveillance_ct
from sarcoma_cds.clinical.metastases import classify_metastases
from sarcoma_cds.clinical.params import ClinicalParameters
from sarcoma_cds.clinical.profile import MetastaticProfile
from sarcoma_cds.clinical.record import Record
from sarcoma_cds.clinical.tumour import derive_tumour
from sarcoma_cds.clinical.valuesets import ValueSets
from sarcoma_cds.timeline.events import Event, collect_events, lane_order, lane_title
from sarcoma_cds.values.dates import (
    DateInterval,
    add_months,
    months_days_text,
    months_range,
    parse_fhir_date,
)

MarkKind = Literal["boundary", "threshold", "due", "overdue", "today"]


@dataclass(frozen=True)
class Lane:
    key: str
    title: str
    events: tuple[Event, ...]


@dataclass(frozen=True)
class Span:
    kind: Literal["dfi", "tfi"]
    label: str  # "DFI 10 months · metachronous"
    start: DateInterval
    end: DateInterval
    detail: str  # the fact's note or reason, in full


@dataclass(frozen=True)
class Mark:
    kind: MarkKind
    label: str
    when: DateInterval


@dataclass(frozen=True)
class Timeline:
    today: date
    lanes: tuple[Lane, ...]
    spans: tuple[Span, ...]
    marks: tuple[Mark, ...]
    undated: tuple[Event, ...]  # listed under the chart and in the table: no date to draw

    def dated_events(self) -> list[Event]:
        return [e for lane in self.lanes for e in lane.events]


def build_timeline(
    rec: Record,
    vs: ValueSets,
    profile: MetastaticProfile,
    params: ClinicalParameters,
    today: date,
) -> Timeline:
    events = collect_events(rec, vs)
    by_lane: dict[str, list[Event]] = {}
    for e in events:
        if e.start is not None:
            by_lane.setdefault(e.lane, []).append(e)
    lanes = tuple(
        Lane(key, lane_title(key), tuple(by_lane[key])) for key in sorted(by_lane, key=lane_order)
    )
    spans: list[Span] = []
    marks: list[Mark] = []
    primary = earliest_of(d.date for d in derive_tumour(rec, vs).primaries if d.date)
    first_met = earliest_of(m.dx.date for m in classify_metastases(rec, vs) if m.dx.date)
    if primary is not None:
        marks += _dfi_thresholds(primary, params)
        if first_met is not None:
            spans.append(_dfi_span(primary, first_met, profile))
    tfi = _tfi_span(events, profile)
    if tfi is not None:
        spans.append(tfi)
        end = tfi.start
        marks.append(
            Mark(
                "threshold",
                f"TFI {params.tfi_favourable_months} months",
                _shifted(end, params.tfi_favourable_months),
            )
        )
    due = _followup_due(rec, vs, profile, params, today)
    if due is not None:
        marks.append(due)
    marks.append(Mark("today", f"Today {today.isoformat()}", DateInterval.on(today)))
    undated = tuple(e for e in events if e.start is None)
    return Timeline(today, lanes, tuple(spans), tuple(marks), undated)


def _shifted(d: DateInterval, months: int) -> DateInterval:
    earliest, latest = add_months(d.earliest, months), add_months(d.latest, months)
    text = earliest.isoformat() if earliest == latest else f"{earliest} – {latest}"
    return DateInterval(earliest, latest, text)


def _dfi_thresholds(primary: DateInterval, p: ClinicalParameters) -> list[Mark]:
    marks = [
        Mark(
            "boundary",
            f"{p.synchronous_months} months: synchronous ≤ | metachronous >",
            _shifted(primary, p.synchronous_months),
        )
    ]
    if p.long_dfi_months != p.synchronous_months:
        marks.append(
            Mark(
                "threshold",
                f"DFI {p.long_dfi_months} months (long DFI >)",
                _shifted(primary, p.long_dfi_months),
            )
        )
    return marks


def _range_text(lo: int, hi: int) -> str:
    return f"{lo} months" if lo == hi else f"{lo}–{hi} months"


def _explain(fact: Fact) -> str:
    return (fact.note or "") if fact.known else (fact.reason or fact.state.value)


def _dfi_span(primary: DateInterval, first_met: DateInterval, profile: MetastaticProfile) -> Span:
    fact = profile["dfi_months"]
    if fact.known:
        months = _duration(primary, first_met, fact)
    else:
        lo, hi = months_range(primary, first_met)
        months = _range_text(max(lo, 0), max(hi, 0))
    timing = profile["timing"]
    suffix = f" · {timing.value}" if timing.known else f" · timing {timing.state.value}"
    return Span("dfi", f"DFI {months}{suffix}", primary, first_met, _explain(fact))


def _duration(start: DateInterval, end: DateInterval, fact: Fact) -> str:
    """As the cards say it (REVIEW5 m3): "17 days", "6 months and 1 day", "41 months"; whole
    months when a date is coarse."""
    if start.exact and end.exact and end.earliest >= start.earliest:
        return months_days_text(start.earliest, end.earliest)
    return f"{fact.value} months"


def _tfi_span(events: list[Event], profile: MetastaticProfile) -> Span | None:
    """From the end of the last treatment before the recurrence (the fact's first evidence) to
    the recurrence (its other evidence)."""
    fact = profile["tfi_months"]
    if fact.state in (State.UNKNOWN, State.NOT_APPLICABLE) or not fact.evidence:
        return None
    by_ref = {e.ref: e for e in events}
    treatment = by_ref.get(fact.evidence[0].ref)
    if treatment is None or treatment.start is None:
        return None
    ended = treatment.end or treatment.start
    recurrences = [
        d for ev in fact.evidence[1:] if (d := _evidence_date(ev.date, by_ref.get(ev.ref)))
    ]
    recurrence = earliest_of(recurrences)
    if recurrence is None:
        return None
    if fact.known:
        months = _duration(ended, recurrence, fact)
    else:
        lo, hi = months_range(ended, recurrence)
        months = _range_text(max(lo, 0), max(hi, 0))
    favourable = profile["tfi_favourable"]
    suffix = ""
    if favourable.known:
        suffix = " · favourable" if favourable.value else " · not favourable"
    return Span("tfi", f"TFI {months}{suffix}", ended, recurrence, _explain(fact))


def _evidence_date(text: str | None, event: Event | None) -> DateInterval | None:
    if event is not None and event.start is not None:
        return event.start
    return parse_fhir_date(text) if text else None


def _followup_due(
    rec: Record, vs: ValueSets, profile: MetastaticProfile, p: ClinicalParameters, today: date
) -> Mark | None:
    """13.1: the next surveillance CT, counted from the last CT after the operation, else from
    the operation (the same reading as the `followup_next_due` fact)."""
    surgery_fact = profile["last_liver_metastasectomy_date"]
    if not surgery_fact.known or not isinstance(surgery_fact.value, str):
        return None
    surgery = parse_fhir_date(surgery_fact.value).earliest
    months, wording = interval_due(surgery, today, p)
    ct = last_surveillance_ct(rec, vs)
    base = (
        ct.start
        if ct is not None and ct.start is not None and ct.start.latest > surgery
        else DateInterval.on(surgery)
    )
    when = _shifted(base, months)
    if profile["followup_overdue"].is_yes:
        return Mark("overdue", f"Surveillance CT overdue (due {when.text})", when)
    return Mark("due", f"Surveillance CT due ({wording})", when)
