"""Lines of systemic therapy (clinical-logic §1.5): treatment events grouped into lines, the
latest line with its dates, and whether the disease progressed on or after it. Lines count
from the first metastasis; what ended before it treated the primary (`split_at_metastasis`).

A chemotherapy Procedure is a recorded course: one line. Medication resources are single
administrations, orders or statements (clinical/medications.py), so they are grouped: an event
joins a line when it falls within a recorded course's period (the same therapy recorded twice),
or — for a drug — when it starts within `line_gap_days` of the line's last treatment and is
either one of the line's agents or starts within `regimen_window_days` of the line's start
(the partners of a combination: gemcitabine day 1, docetaxel day 8). A new agent after the
window, or a break longer than the gap, starts a new line. The paper gives no definition of a
line; this is the usual real-world reading (docs/design.md, readings).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sarcoma_cds.clinical.facts import Evidence, Fact
from sarcoma_cds.clinical.params import ClinicalParameters
from sarcoma_cds.clinical.resources import Proc
from sarcoma_cds.fhir.projection import MedicationRequest, Procedure
from sarcoma_cds.values.dates import (
    DateInterval,
    InvalidDate,
    months_days_text,
    months_range,
    months_text,
    parse_fhir_date,
)

# A chemotherapy Procedure says chemotherapy was given, not which drugs.
GENERIC_CHEMOTHERAPY = "chemotherapy, agents not recorded"


def therapy_label(event: Proc) -> str:
    """A systemic-therapy event in words: its agent, or generic chemotherapy for a Procedure."""
    return event.label() if not isinstance(event.res, Procedure) else GENERIC_CHEMOTHERAPY


def _agent(event: Proc) -> str:
    """The drug a medication event gives, in words ("gemcitabine"): the value set's name of the
    agent, else the coding's display, else the course's label."""
    shown = next((c.display for c in event.drug if c.display), None)
    return event.agent or shown or event.label()


def _ongoing(event: Proc) -> bool:
    return event.status == "ongoing" or event.open_ended


@dataclass
class Line:
    """A line of therapy as `group_lines` makes it."""

    events: list[Proc] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)
    # Read from the events once, when `group_lines` has made the line: a chart's facts ask
    # ~30 times (issue 18). Whether it goes on; when it ended (None while it goes on); the
    # evidence of its events.
    ongoing: bool = field(default=False, compare=False)
    end: DateInterval | None = field(default=None, compare=False)
    cited: tuple[Evidence, ...] = field(default=(), compare=False)

    @property
    def start(self) -> DateInterval:
        first = self.events[0].start
        assert first is not None  # only dated events are grouped
        return first

    def finish(self) -> None:
        """Read `ongoing`, `end` and `cited` from the events, once they are all in."""
        self.ongoing = any(_ongoing(e) for e in self.events)
        if not self.ongoing:
            ends = [d for e in self.events if (d := e.end or e.start) is not None]
            self.end = max(ends, key=lambda d: (d.latest, d.earliest))
        self.cited = tuple(e.evidence(e.label()) for e in self.events)

    def name(self) -> str:
        """The line in a clause ("progressed after chemotherapy (line 1)"): its agents, else
        chemotherapy — a chemotherapy Procedure (the generic code 367336001) names no agent."""
        return " + ".join(self.agents) if self.agents else "chemotherapy"

    def label(self) -> str:
        """The line as the facts name it: the generic display is never passed off as a regimen
        (REVIEW4 m5)."""
        # Drug names in lower case, as in running text (REVIEW5 m14: "doxorubicin", never
        # "Doxorubicin" from a display).
        return " + ".join(a.lower() for a in self.agents) if self.agents else GENERIC_CHEMOTHERAPY

    def evidence(self) -> tuple[Evidence, ...]:
        return self.cited


def group_lines(events: list[Proc], p: ClinicalParameters, today: date) -> list[Line]:
    """Dated systemic-therapy events → lines, in order of their start."""
    dated = sorted(
        (e for e in events if e.start is not None),
        key=lambda e: (e.start.earliest, e.ref),  # type: ignore[union-attr]
    )
    lines: list[Line] = []
    # Kept per line as events join, so that no event walks the events of every line (group_lines
    # was ~20 % of a call at 300 resources; issue 18): how far the line's recorded courses reach
    # (events come in order of their first day, so a course that reaches a day covers it), its
    # last day of treatment so far (today while it goes on) and its agents in lower case.
    reach: list[date | None] = []
    ongoing: list[bool] = []
    last_done: list[date] = []
    agents: list[set[str]] = []
    gap, window = timedelta(days=p.line_gap_days), timedelta(days=p.regimen_window_days)
    for e in dated:
        start = e.start
        assert start is not None
        day = start.earliest
        is_drug = not isinstance(e.res, Procedure)
        agent = _agent(e) if is_drug else ""
        host = None
        for i in range(len(lines) - 1, -1, -1):
            if (r := reach[i]) is not None and day <= r:
                host = i
                break
        if host is None and is_drug and lines:
            last = len(lines) - 1
            if day <= (today if ongoing[last] else last_done[last]) + gap and (
                agent.lower() in agents[last] or day <= lines[last].start.latest + window
            ):
                host = last
        if host is None:
            host = len(lines)
            lines.append(Line())
            reach.append(None)
            ongoing.append(False)
            last_done.append(date.min)
            agents.append(set())
        line = lines[host]
        line.events.append(e)
        done = _ongoing(e)
        ongoing[host] = ongoing[host] or done
        last_done[host] = max(last_done[host], (e.end or start).latest)
        if isinstance(e.res, Procedure):  # a recorded course covers its days
            hi = today if done else (e.end or start).latest
            r = reach[host]
            reach[host] = hi if r is None or hi > r else r
        if is_drug and agent.lower() not in agents[host]:
            line.agents.append(agent)
            agents[host].add(agent.lower())
    for line in lines:
        line.finish()
    return lines


def _span(line: Line, today: date) -> str:
    """ "2026-01-12 – ongoing, 4 months"; "ordered 2025-03-24; cycles not recorded" for a lone
    order; never "0 months" for a line shorter than a month."""
    start, end = line.start, line.end
    if end is not None and end.text == start.text:
        if all(isinstance(e.res, MedicationRequest) for e in line.events):
            stopped = all(e.res.status == "stopped" for e in line.events)
            return f"ordered {start.text}{' and stopped' if stopped else ''}; cycles not recorded"
        return f"on {start.text}"
    last = end.earliest if end else today
    if start.exact and (end is None or end.exact):
        # As every interval on the cards: "17 days", "3 months and 26 days" (REVIEW5 m3).
        length = months_days_text(start.earliest, last)
    else:
        lo, hi = months_range(start, end or DateInterval.on(today))
        lo, hi = max(lo, 0), max(hi, 0)
        length = months_text(lo) if lo == hi else f"{lo}–{hi} months"
    return f"{start.text} – {end.text if end else 'ongoing'}, {length}"


def latest_assessed(response: Fact) -> date | None:
    days = []
    for e in response.evidence:
        try:
            if e.date:
                days.append(parse_fhir_date(e.date).latest)
        except InvalidDate:
            continue
    return max(days, default=None)


def split_at_metastasis(
    lines: list[Line], first_metastasis: DateInterval | None
) -> tuple[list[Line], list[Line]]:
    """(lines for the primary, lines for the metastatic disease). A line that ended before the
    first metastasis was diagnosed treated the primary (adjuvant, neoadjuvant, peri-operative:
    REVIEW5 M1); one that started before and went on after it counts for the metastases. With
    the first metastasis undated, or a line ending within its coarse date, every line counts
    for the metastases, as before."""
    if first_metastasis is None:
        return [], lines
    before = [
        ln for ln in lines if (end := ln.end) is not None and end.latest < first_metastasis.earliest
    ]
    # By identity: `in` would compare the lines field by field (issue 18).
    primary = {id(ln) for ln in before}
    return before, [ln for ln in lines if id(ln) not in primary]


def perioperative_fact(
    before: list[Line], first_metastasis: DateInterval | None, today: date
) -> Fact:
    """`perioperative_systemic_therapy`: what treated the primary before the first metastasis,
    in words — context for the choice of any later systemic therapy (11.2), never a line."""
    if first_metastasis is None:
        return Fact.unknown("the first metastasis is not dated")
    if not before:
        return Fact.not_applicable("no systemic therapy recorded before the first metastasis")
    shown = "; ".join(f"{ln.label()} ({_span(ln, today)})" for ln in before)
    # The label says "before the first metastasis (for the primary)": no operation is presumed
    # (REVIEW6 m1); the first metastasis is dated on the same Facts line.
    return Fact.of(shown, [x for ln in before for x in ln.evidence()])


def line_facts(
    lines: list[Line],
    response: Fact,
    today: date,
    none: Fact,
    degree: str | None = None,
) -> dict[str, Fact]:
    """`systemic_therapy_lines`, `latest_systemic_line`, `systemic_progression` of the lines given
    for the metastatic disease (`split_at_metastasis`). `none`: the line count when no dated line
    is recorded (0 only when every source could be read); `degree`: the response in the record's
    words ("partial response"), when it names one."""
    if not lines:
        reason = none.reason or none.note or "no dated systemic therapy recorded"
        return {
            "systemic_therapy_lines": none,
            "latest_systemic_line": Fact.unknown(reason),
            "systemic_progression": Fact.unknown(reason),
        }
    f: dict[str, Fact] = {}
    f["systemic_therapy_lines"] = Fact.of(len(lines), [x for ln in lines for x in ln.evidence()])
    last = lines[-1]
    f["latest_systemic_line"] = Fact.of(
        f"{last.label()} ({_span(last, today)})",
        last.evidence(),
    )
    if not response.known:
        f["systemic_progression"] = Fact(
            state=response.state, reason=response.reason, evidence=response.evidence
        )
        return f
    n, what = len(lines), last.name().lower()
    assessed = latest_assessed(response)
    # "in partial response after …" where the record says so; else "improved / stable / progressed".
    state = f"in {degree}" if degree and degree.endswith("response") else str(response.value)
    if n > 1 and assessed is not None and assessed < last.start.earliest:
        # The latest assessment predates the current line: never "on" a line not yet assessed.
        note = (
            f"{state} on line {n - 1}; {what} (line {n}, from {last.start.text}) not yet assessed"
        )
    else:
        note = f"{state} {'on' if last.ongoing else 'after'} {what} (line {n})"
    f["systemic_progression"] = Fact.of(
        response.value == "progressed", [*response.evidence, *last.evidence()[:1]], note=note
    )
    return f
