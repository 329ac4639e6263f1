"""Which resources count (clinical-logic §1.1) and the `Record` index over them.

A `Record` keeps one patient's usable resources as the wrappers of `clinical/resources.py`,
dated by `clinical/dating.py`, drops what does not count (entered-in-error, refuted, not-done,
cancelled), and indexes each resource under the value sets of its code so that the fact modules
ask "which conditions are liver metastases?" as a lookup.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sarcoma_cds.clinical.dating import condition_date, read_date
from sarcoma_cds.clinical.facts import Fact
from sarcoma_cds.clinical.medications import read_medications
from sarcoma_cds.clinical.repeats import mark_repeats
from sarcoma_cds.clinical.resources import Dx, Obs, Proc, Report, codings
from sarcoma_cds.clinical.valuesets import ValueSet, ValueSets
from sarcoma_cds.fhir.prefetch import MEDICATION_KEYS, PatientRecord
from sarcoma_cds.fhir.projection import (
    BodyStructure,
    CodeableConcept,
    Condition,
    DiagnosticReport,
    Observation,
    Procedure,
)
from sarcoma_cds.fhir.references import ReferenceIndex
from sarcoma_cds.values.dates import DateInterval

_UNCONFIRMED = {"unconfirmed", "provisional", "differential"}
_DROPPED_VERIFICATION = {"entered-in-error", "refuted"}
_INACTIVE = {"inactive", "resolved", "remission"}
_OBS_DROPPED = {"entered-in-error", "cancelled"}
_PROC_DONE = {"completed", "in-progress"}


def _status_code(cc: CodeableConcept | None) -> str | None:
    if cc is not None:
        for c in cc.coding:
            if c.code:
                return c.code
    return None


class Record:
    """One patient's usable resources, ready for the fact modules."""

    def __init__(self, rec: PatientRecord, today: date, valuesets: ValueSets) -> None:
        self.today = today
        self.patient_id = rec.patient_id
        self.supplied = rec.supplied_keys
        self.gaps = list(rec.gaps)
        birth = rec.patient.birth() if rec.patient else None
        self.birth = birth
        self.conditions = mark_repeats(
            [d for c in rec.conditions if (d := _dx(c, birth, valuesets)) is not None]
        )
        self.procedures = [p for r in rec.procedures if (p := _proc(r)) is not None]
        self.reports = [x for r in rec.reports if (x := _report(r)) is not None]
        self.refs: ReferenceIndex = rec.refs
        report_dates = {id(x.res): x for x in self.reports if x.date}
        self.observations = [
            o for r in rec.observations if (o := _obs(r, rec.refs, report_dates)) is not None
        ]
        self.body_structures: list[BodyStructure] = rec.body_structures
        meds = read_medications(rec.medications, rec.refs, valuesets, today)
        self.medication_events: list[Proc] = meds.events
        self.medication_doubts: list[str] = meds.doubts
        self.medications_supplied = any(k in rec.supplied_keys for k in MEDICATION_KEYS)
        # Index each resource under the value sets of its code, once: the fact modules then ask
        # "which conditions are liver metastases?" as a dictionary lookup.
        self._dx_index: dict[str, list[Dx]] = {}
        for d in self.conditions:
            for vs_id in d.members:
                self._dx_index.setdefault(vs_id, []).append(d)
        self._obs_index: dict[str, list[Obs]] = {}
        for o in self.observations:
            for vs_id in valuesets.memberships(codings(o.res.code)):
                self._obs_index.setdefault(vs_id, []).append(o)
        self._proc_index: dict[str, list[Proc]] = {}
        self._proc_members: dict[int, frozenset[str]] = {}
        for p in self.procedures:
            members = valuesets.memberships(p.codes)
            self._proc_members[id(p)] = members
            for vs_id in members:
                self._proc_index.setdefault(vs_id, []).append(p)

    def has(self, key: str) -> bool:
        """Was this prefetch key supplied (so that "none recorded" means something)?"""
        return key in self.supplied

    def none_recorded(self, key: str, note: str) -> Fact:
        """A known "no" when this prefetch key was supplied; unknown when it was not."""
        return (
            Fact.of(False, note=note) if self.has(key) else Fact.unknown(f"no {key} were supplied")
        )

    def proc_value_sets(self, p: Proc) -> frozenset[str]:
        return self._proc_members.get(id(p), frozenset())

    def reindex_procedure(self, p: Proc, add: str, remove: str | None = None) -> None:
        """Count a procedure under another value set than its code says (mCODE
        CancerRelatedSurgicalProcedure: what was removed is in reasonReference / bodySite)."""
        members = set(self._proc_members.get(id(p), frozenset()))
        if remove and remove in members:
            members.discard(remove)
            self._proc_index[remove] = [x for x in self._proc_index[remove] if x is not p]
        if add not in members:
            members.add(add)
            self._proc_index.setdefault(add, []).append(p)
        self._proc_members[id(p)] = frozenset(members)

    def dx_in(self, vs: ValueSet) -> list[Dx]:
        return list(self._dx_index.get(vs.id, ()))

    def obs_in(self, vs: ValueSet) -> list[Obs]:
        return list(self._obs_index.get(vs.id, ()))

    def procs_in(self, vs: ValueSet, statuses: Sequence[str] = ("done",)) -> list[Proc]:
        return [p for p in self._proc_index.get(vs.id, ()) if p.status in statuses]

    def latest_obs(self, vs: ValueSet) -> Obs | None:
        dated = [o for o in self.obs_in(vs) if o.date]
        if dated:
            return max(dated, key=lambda o: (o.date.latest, o.date.earliest) if o.date else ())
        undated = self.obs_in(vs)
        return undated[-1] if undated else None


def _dx(c: Condition, birth: DateInterval | None, valuesets: ValueSets) -> Dx | None:
    verification = _status_code(c.verificationStatus)
    if verification in _DROPPED_VERIFICATION:
        return None
    date, source = condition_date(c, birth)
    problem = None
    if date is None:
        broken = [u for u in c.unreadable if u.startswith(_DATE_ELEMENTS)]
        if broken:
            problem = "unreadable " + ", ".join(broken)
        elif c.onsetString:
            problem = f"onset written as text that is not a date ('{c.onsetString}')"
    return Dx(
        res=c,
        date=date,
        date_source=source,
        unconfirmed=verification in _UNCONFIRMED,
        current=_status_code(c.clinicalStatus) not in _INACTIVE and not _abated(c),
        name=c.code.label() if c.code else "uncoded condition",
        members=valuesets.memberships(codings(c.code)),
        date_problem=problem,
    )


_DATE_ELEMENTS = ("onset", "recordedDate", "extension")


def _abated(c: Condition) -> bool:
    """abatement[x] of any type says the condition is over (FHIR con-4: an abated condition's
    clinicalStatus is inactive, resolved or remission). `abatementBoolean: false` does not."""
    if c.abatementBoolean is not None:
        return c.abatementBoolean
    if c.abatementString is not None:
        return True
    return bool(c.abatementDateTime or c.abatementPeriod or c.abatementAge)


def _obs(
    o: Observation, refs: ReferenceIndex, reports: dict[int, Report] | None = None
) -> Obs | None:
    if o.status in _OBS_DROPPED:
        return None
    d = (
        read_date(o.effectiveDateTime)
        or (read_date(o.effectivePeriod.start) if o.effectivePeriod else None)
        or read_date(o.effectiveInstant)
        or read_date(o.issued)
    )
    if d is None and reports:
        # A measurement without its own date, derived from a dated (imaging) report in this
        # request, happened when that study did.
        for ref in o.derivedFrom:
            report = refs.resolve_as(ref, DiagnosticReport, o)
            if report is not None and (x := reports.get(id(report))) is not None:
                return Obs(res=o, date=x.date, date_from=x.ref)
    return Obs(res=o, date=d)


def _report(r: DiagnosticReport) -> Report | None:
    if r.status in _OBS_DROPPED:
        return None
    d = (
        read_date(r.effectiveDateTime)
        or (read_date(r.effectivePeriod.start) if r.effectivePeriod else None)
        or read_date(r.issued)
    )
    return Report(res=r, date=d)


def _proc(p: Procedure) -> Proc | None:
    if p.status in _PROC_DONE:
        status = "done" if p.status == "completed" else "ongoing"
    elif p.status == "preparation":
        status = "planned"
    else:
        return None  # not-done, entered-in-error, stopped, on-hold, unknown
    start = read_date(p.performedDateTime) or (
        read_date(p.performedPeriod.start) if p.performedPeriod else None
    )
    end = (read_date(p.performedPeriod.end) if p.performedPeriod else None) or (
        start if status == "done" else None
    )
    period = p.performedPeriod is not None
    return Proc(
        res=p,
        start=start or end,
        end=end,
        status=status,
        period=period,
        open_ended=period and p.performedPeriod is not None and p.performedPeriod.end is None,
        name=p.code.label() if p.code else "uncoded procedure",
    )
