"""Systemic therapy from medication resources (input-profile "Medications"; clinical-logic 1.5).

MedicationRequest, MedicationAdministration and MedicationStatement each have their own status
and date semantics; all three become treatment events (`Proc`) beside chemotherapy Procedures,
so that received / ongoing / planned and the line's start and end read them alike. The drug is
the resource's `medicationCodeableConcept`, or the `medicationReference`d Medication (contained
or bundled: its code and its ingredients), matched against the `systemic-agent` value set.

A medication that may be systemic therapy but cannot be recognised (an antineoplastic outside
the set, an uncoded drug whose text names an agent) is returned as a doubt: it makes "no
systemic therapy" indeterminate, never "yes" (text is never turned into a treatment).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sarcoma_cds.clinical.codes import RXNORM, canonical_system
from sarcoma_cds.clinical.dating import read_date
from sarcoma_cds.clinical.resources import Proc
from sarcoma_cds.clinical.valuesets import ValueSets
from sarcoma_cds.fhir.projection import (
    CodeableConcept,
    Coding,
    Medication,
    MedicationAdministration,
    MedicationRequest,
    MedicationStatement,
    MedicationUse,
    Period,
)
from sarcoma_cds.fhir.references import ReferenceIndex
from sarcoma_cds.values.dates import DateInterval

# Agent names, only to notice an uncoded or unrecognised drug (never to count one).
_AGENT_TEXT = re.compile(
    r"(?i)doxorubicin|adriamycin|epirubicin|ifosfamide|dacarbazine|\bdtic\b|trabectedin|"
    r"eribulin|gemcitabine|docetaxel|paclitaxel|pazopanib|cyclophosphamide|vincristine|"
    r"dactinomycin|actinomycin|temozolomide|etoposide|irinotecan|cisplatin|carboplatin|"
    r"regorafenib|sunitinib|vinorelbine|chemotherap|\bAIM\b|\bMAID\b|"
    r"\bgem[-/ ]?doc|"
    # Brand names EHRs display for the same agents.
    r"yondelis|halaven|votrient|taxotere|gemzar|\bifex\b|cosmegen|temodal|temodar|stivarga|"
    r"navelbine|caelyx|doxil|ellence|pharmorubicin"
)
# MedicationRequest intents that are not an order being carried out.
_PLAN_INTENTS = {"plan", "proposal"}


@dataclass(frozen=True)
class MedicationReading:
    events: list[Proc]  # recognised sarcoma systemic therapy
    doubts: list[str]  # medications that might be systemic therapy but cannot be read as such


def _drug(
    m: MedicationUse, refs: ReferenceIndex
) -> tuple[tuple[Coding, ...], str | None, list[CodeableConcept]]:
    """(codings, label, concepts) of the drug, from the concept or the Medication."""
    concepts: list[CodeableConcept] = []
    if m.medicationCodeableConcept is not None:
        concepts.append(m.medicationCodeableConcept)
    med = refs.resolve_as(m.medicationReference, Medication, m)
    if med is not None:
        if med.code is not None:
            concepts.append(med.code)
        concepts += [i.itemCodeableConcept for i in med.ingredient if i.itemCodeableConcept]
    codings = tuple(c for cc in concepts for c in cc.coding if c.code)
    label = None
    for cc in concepts:  # each label once (a regex substitution; issue 18)
        if (shown := cc.label()) != "uncoded":
            label = shown
            break
    if label is None and m.medicationReference and m.medicationReference.display:
        label = m.medicationReference.display
    return codings, label, concepts


def _drug_text(m: MedicationUse, concepts: list[CodeableConcept]) -> str | None:
    """The drug's words, for a doubt: only asked of a medication no value set reads."""
    texts = [cc.text or "" for cc in concepts] + [
        c.display or "" for cc in concepts for c in cc.coding
    ]
    if m.medicationReference and m.medicationReference.display:
        texts.append(m.medicationReference.display)
    return " ".join(t for t in texts if t) or None


def _period(p: Period | None) -> tuple[DateInterval | None, DateInterval | None, bool]:
    if p is None:
        return None, None, False
    return read_date(p.start), read_date(p.end), True


def _status(m: MedicationUse, start: DateInterval | None, today: date) -> str | None:
    """done | ongoing | planned, or None for a resource that is not therapy received or
    intended (entered-in-error, cancelled, not-taken, a stop before a first dose)."""
    s = m.status
    if isinstance(m, MedicationRequest):
        if s == "completed":
            return "done"
        if s in ("active", "on-hold"):
            if m.intent in _PLAN_INTENTS or (start is not None and start.earliest > today):
                return "planned"
            return "ongoing"
        if s == "draft" and m.intent in _PLAN_INTENTS | {"order"}:
            return "planned"
        if s == "stopped":  # counts only when a dose can have been given before the stop
            return "done" if start is not None and start.earliest <= today else None
        return None
    if isinstance(m, MedicationAdministration):
        return {"completed": "done", "in-progress": "ongoing", "on-hold": "ongoing"}.get(
            s or "", "done" if s == "stopped" else None
        )
    # MedicationStatement
    return {
        "active": "ongoing",
        "completed": "done",
        "stopped": "done",
        "on-hold": "ongoing",
        "intended": "planned",
    }.get(s or "")


def _dates(m: MedicationUse) -> tuple[DateInterval | None, DateInterval | None, bool]:
    if isinstance(m, MedicationRequest):
        bounds = next(
            (
                d.timing.repeat.boundsPeriod
                for d in m.dosageInstruction
                if d.timing and d.timing.repeat and d.timing.repeat.boundsPeriod
            ),
            None,
        )
        start, end, period = _period(bounds)
        return start or read_date(m.authoredOn), end, period
    assert isinstance(m, MedicationAdministration | MedicationStatement)
    if d := read_date(m.effectiveDateTime):
        return d, d, False
    start, end, period = _period(m.effectivePeriod)
    if start is None and isinstance(m, MedicationStatement):
        start = read_date(m.dateAsserted)  # when it was stated: the therapy began before
    return start, end, period


def _agent_name(codings: tuple[Coding, ...], vs: ValueSets) -> str | None:
    """The agent a product code stands for, as the value set names the concept ("doxorubicin"
    for "10 ML doxorubicin hydrochloride 2 MG/ML Injection"); None when none is listed. RxNorm
    only: the other listed names (IDEA4RC regimens, ATC) are the names the record shows anyway."""
    for c in codings:
        if canonical_system(c.system) != RXNORM:
            continue
        concept = vs.concept(c.system, c.code)
        if concept is not None:
            return concept.display
    return None


def read_medications(
    meds: list[MedicationUse], refs: ReferenceIndex, vs: ValueSets, today: date
) -> MedicationReading:
    events: list[Proc] = []
    doubts: list[str] = []
    agents, antineoplastic = vs["systemic-agent"], vs["antineoplastic-any"]
    for m in meds:
        codings, label, concepts = _drug(m, refs)
        start, end, period = _dates(m)
        status = _status(m, start, today)
        if status is None:
            continue
        name = f"{m.resourceType}/{m.id or '?'}"
        if agents.matches_any(codings):
            if status == "done" and end is None and not period:
                end = start  # one administration / a completed order without an end date
            events.append(
                Proc(
                    res=m,
                    start=start or end,
                    end=end,
                    status=status,
                    period=period,
                    open_ended=period and end is None,
                    drug=codings,
                    drug_label=label,
                    agent=_agent_name(codings, vs),
                )
            )
        elif agents.excludes_any(codings):
            continue  # a GIST-only agent (imatinib): read, and known not to count
        elif antineoplastic.matches_any(codings):
            doubts.append(f"{name}: antineoplastic not in the sarcoma agent value set ({label})")
        elif (text := _drug_text(m, concepts)) and _AGENT_TEXT.search(text) and not codings:
            doubts.append(f"{name}: uncoded medication '{text}'")
        elif text and _AGENT_TEXT.search(text):
            shown = ", ".join(f"{c.code}" for c in codings[:3])
            doubts.append(f"{name}: '{text}' coded {shown}, a code outside the agent value set")
    return MedicationReading(events, doubts)
