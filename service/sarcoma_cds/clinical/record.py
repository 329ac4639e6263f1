"""Which resources count (clinical-logic §1.1) and when they happened (§1.2).

Everything downstream works on these wrappers: a usable Condition (`Dx`), Observation (`Obs`)
or Procedure (`Proc`), each with its date interval and its evidence line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import msgspec

from sarcoma_cds.clinical.codes import ICDO3, canonical_system, normalise_code
from sarcoma_cds.clinical.facts import Evidence
from sarcoma_cds.clinical.valuesets import ValueSet, ValueSets
from sarcoma_cds.fhir.prefetch import MEDICATION_KEYS, PatientRecord
from sarcoma_cds.fhir.projection import (
    BodyStructure,
    CodeableConcept,
    Coding,
    Condition,
    DiagnosticReport,
    MedicationUse,
    Observation,
    Procedure,
    Quantity,
)
from sarcoma_cds.fhir.references import ReferenceIndex
from sarcoma_cds.values.dates import (
    DateInterval,
    InvalidDate,
    age_to_interval,
    parse_fhir_date,
    parse_text_date,
    span,
)

ASSERTED_DATE = "http://hl7.org/fhir/StructureDefinition/condition-assertedDate"
HISTOLOGY_EXT = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
)

_UNCONFIRMED = {"unconfirmed", "provisional", "differential"}
_DROPPED_VERIFICATION = {"entered-in-error", "refuted"}
_INACTIVE = {"inactive", "resolved", "remission"}
_OBS_DROPPED = {"entered-in-error", "cancelled"}
_PROC_DONE = {"completed", "in-progress"}
_MAX_AGE = 150


def codings(cc: CodeableConcept | None) -> tuple[Coding, ...]:
    return cc.coding if cc else ()


def _status_code(cc: CodeableConcept | None) -> str | None:
    if cc is not None:
        for c in cc.coding:
            if c.code:
                return c.code
    return None


def _interval(text: str | None) -> DateInterval | None:
    if not text:
        return None
    try:
        return parse_fhir_date(text)
    except InvalidDate:
        return None


def earliest_of(intervals: Iterable[DateInterval]) -> DateInterval | None:
    """The interval of the earliest of several uncertain dates."""
    items = list(intervals)
    if not items:
        return None
    first = min(items, key=lambda i: (i.earliest, i.latest))
    latest = min(i.latest for i in items)
    return DateInterval(first.earliest, latest, first.text)


def latest_of(intervals: Iterable[DateInterval]) -> DateInterval | None:
    items = list(intervals)
    if not items:
        return None
    last = max(items, key=lambda i: (i.latest, i.earliest))
    earliest = max(i.earliest for i in items)
    return DateInterval(earliest, last.latest, last.text)


# eq=False: two records are the same only if they are the same object (comparing the wrapped
# FHIR models field by field is slow and means nothing here). Structs, not frozen dataclasses:
# a chart builds ~300 of these per call, and a frozen dataclass sets each field through
# object.__setattr__ in Python (issue 18). gc=False: they hold no cycles.
class Dx(msgspec.Struct, frozen=True, eq=False, kw_only=True, gc=False):
    res: Condition
    date: DateInterval | None
    date_source: str | None  # "onset", "onset period", "onset age", "onset text", "asserted",
    # "recorded"
    unconfirmed: bool
    current: bool
    # The code's label, once per resource: facts name a diagnosis ~4 times per call (issue 18).
    name: str
    # The ids of the value sets its code belongs to, asked ~4 times per diagnosis per call.
    members: frozenset[str]
    # An encounter diagnosis recorded again (same codes, recordedDate only) while an earlier one
    # is still active: EHRs repeat the problem at every visit, so it is not a new episode.
    repeat: bool = False
    # Why there is no date although the resource had one: "onsetDateTime 'not-a-date'".
    date_problem: str | None = None

    @property
    def ref(self) -> str:
        return f"Condition/{self.res.id or '?'}"

    @property
    def coded(self) -> bool:
        return self.res.code is not None and self.res.code.coded

    def code_key(self) -> frozenset[tuple[str, str]]:
        return frozenset(
            (system, normalise_code(system, c.code))
            for c in self.codes
            if c.code and (system := canonical_system(c.system))
        )

    @property
    def encounter_diagnosis(self) -> bool:
        return any(c.code == "encounter-diagnosis" for cc in self.res.category for c in cc.coding)

    @property
    def codes(self) -> tuple[Coding, ...]:
        return codings(self.res.code)

    def label(self) -> str:
        return self.name

    def evidence(self, what: str | None = None) -> Evidence:
        if self.date_source == "recorded" and what:
            what = f"{what}; date is the recording date"  # §1.2: say when it is not the onset
        return Evidence(ref=self.ref, date=self.date.text if self.date else None, what=what)

    def morphologies(self) -> tuple[Coding, ...]:
        """ICD-O-3 morphologies: the mCODE histology extension, and the code itself when it is an
        ICD-O-3 morphology (a registry sends "M8890/3" as its own Condition)."""
        out: list[Coding] = [c for c in self.codes if canonical_system(c.system) == ICDO3]
        for ext in self.res.extension:
            if ext.url == HISTOLOGY_EXT and ext.valueCodeableConcept:
                out.extend(ext.valueCodeableConcept.coding)
        return tuple(out)

    def body_sites(self) -> tuple[Coding, ...]:
        return tuple(c for cc in self.res.bodySite for c in cc.coding)


class Obs(msgspec.Struct, frozen=True, eq=False, kw_only=True, gc=False):
    res: Observation
    date: DateInterval | None
    # The report the date was taken from when the Observation has none of its own (an imaging
    # measurement `derivedFrom` its DiagnosticReport): "DiagnosticReport/ct-1".
    date_from: str | None = None

    @property
    def ref(self) -> str:
        return f"Observation/{self.res.id or '?'}"

    def evidence(self, what: str | None = None) -> Evidence:
        if self.date_from and self.date:
            what = f"{what or 'observation'}; dated by {self.date_from} (derivedFrom)"
        return Evidence(ref=self.ref, date=self.date.text if self.date else None, what=what)


class Proc(msgspec.Struct, frozen=True, eq=False, kw_only=True, gc=False):
    """A treatment event: a Procedure, or a medication resource read as systemic therapy
    (clinical/medications.py). `period` says the source gave a period (start..end); an open one
    (`open_ended`) is still going on."""

    res: Procedure | MedicationUse
    start: DateInterval | None  # "when done"
    end: DateInterval | None  # "treatment ended" (= start for a one-day procedure)
    status: str  # done | ongoing | planned
    period: bool = False
    open_ended: bool = False
    drug: tuple[Coding, ...] = ()  # medications: the drug's codings (own, or the Medication's)
    drug_label: str | None = None
    # The agent's name as its value set lists it ("doxorubicin" for an RxNorm product code).
    agent: str | None = None
    # A Procedure's code label, once per resource (issue 18); None for a medication.
    name: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.res.resourceType}/{self.res.id or '?'}"

    @property
    def codes(self) -> tuple[Coding, ...]:
        if isinstance(self.res, Procedure):
            return codings(self.res.code)
        return self.drug

    def body_sites(self) -> tuple[Coding, ...]:
        if not isinstance(self.res, Procedure):
            return ()
        return tuple(c for cc in self.res.bodySite for c in cc.coding)

    def label(self) -> str:
        if self.name is not None:
            return self.name
        if not isinstance(self.res, Procedure):
            return self.agent or self.drug_label or "uncoded medication"
        return self.res.code.label() if self.res.code else "uncoded procedure"

    def evidence(self, what: str | None = None) -> Evidence:
        d = self.start or self.end
        return Evidence(ref=self.ref, date=d.text if d else None, what=what)


class Report(msgspec.Struct, frozen=True, eq=False, kw_only=True, gc=False):
    res: DiagnosticReport
    date: DateInterval | None

    @property
    def ref(self) -> str:
        return f"DiagnosticReport/{self.res.id or '?'}"

    def conclusions(self) -> tuple[Coding, ...]:
        return tuple(c for cc in self.res.conclusionCode for c in cc.coding)

    def evidence(self, what: str | None = None) -> Evidence:
        return Evidence(ref=self.ref, date=self.date.text if self.date else None, what=what)


class Record:
    """One patient's usable resources, ready for the fact modules."""

    def __init__(self, rec: PatientRecord, today: date, valuesets: ValueSets) -> None:
        self.today = today
        self.patient_id = rec.patient_id
        self.supplied = rec.supplied_keys
        self.gaps = list(rec.gaps)
        birth = rec.patient.birth() if rec.patient else None
        self.birth = birth
        self.conditions = _mark_repeats(
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
        # Imported here: medications.py builds `Proc`s defined in this module.
        from sarcoma_cds.clinical.medications import read_medications

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


def _mark_repeats(dxs: list[Dx]) -> list[Dx]:
    """input-profile: "Encounter diagnoses repeat: take the earliest". Linear: one pass to find
    the earliest current diagnosis per code set, one to mark the later repeats. Only a current,
    dated diagnosis has its code set computed: no other takes part (issue 18)."""
    # A chart repeats the same few codings: each distinct tuple (Structs hash by value) is
    # normalised once per call.
    memo: dict[tuple[Coding, ...], frozenset[tuple[str, str]]] = {}
    keys: list[frozenset[tuple[str, str]] | None] = []
    for d in dxs:
        key = None
        if d.current and d.date:
            codes = d.codes
            key = memo.get(codes)
            if key is None:
                key = memo[codes] = d.code_key()
        keys.append(key)
    first_seen: dict[frozenset[tuple[str, str]], date] = {}
    for d, key in zip(dxs, keys, strict=True):
        if key and d.date and (key not in first_seen or d.date.latest < first_seen[key]):
            first_seen[key] = d.date.latest
    out: list[Dx] = []
    encounter: dict[tuple[CodeableConcept, ...], bool] = {}
    for d, key in zip(dxs, keys, strict=True):
        if (
            key is not None
            and d.date_source == "recorded"
            and d.date
            and (earliest := first_seen.get(key)) is not None
            and earliest < d.date.earliest
        ):
            category = d.res.category
            if (is_encounter := encounter.get(category)) is None:
                is_encounter = encounter[category] = d.encounter_diagnosis
            if is_encounter:
                d = msgspec.structs.replace(d, repeat=True)
        out.append(d)
    return out


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


def abatement_date(c: Condition, birth: DateInterval | None) -> DateInterval | None:
    """When the condition ended, from abatement[x] of every type (the text when it is a date)."""
    if d := _interval(c.abatementDateTime):
        return d
    if c.abatementPeriod:
        return _interval(c.abatementPeriod.end) or _interval(c.abatementPeriod.start)
    if c.abatementAge:
        return _age(c.abatementAge, birth)
    if c.abatementString:
        return parse_text_date(c.abatementString)
    return None


def _age(q: Quantity, birth: DateInterval | None) -> DateInterval | None:
    unit = (q.code or q.unit or "a").lower()
    # An impossible age (negative, > 150) is a data error: no date from it.
    if q.value is None or birth is None or unit not in ("a", "yr", "year", "years"):
        return None
    if not 0 <= q.value <= _MAX_AGE:
        return None
    return age_to_interval(birth, int(q.value))


def condition_date(
    c: Condition, birth: DateInterval | None
) -> tuple[DateInterval | None, str | None]:
    """onset[x] (dateTime; Period as the interval start..end; Age with birthDate; a string
    that holds a date), the assertedDate extension, then recordedDate (clinical-logic §1.2)."""
    if d := _interval(c.onsetDateTime):
        return d, "onset"
    if c.onsetPeriod:
        start, end = _interval(c.onsetPeriod.start), _interval(c.onsetPeriod.end)
        if start and end:
            return span(start, end), "onset period"
        if start:
            return start, "onset period"  # still open: the onset began then
        # Only an end: the onset lies somewhere before it, no date; try the next source.
    if c.onsetAge and (d := _age(c.onsetAge, birth)):
        return d, "onset age"
    if c.onsetString and (d := parse_text_date(c.onsetString)):
        return d, "onset text"
    for ext in c.extension:
        if ext.url == ASSERTED_DATE and (d := _interval(ext.valueDateTime)):
            return d, "asserted"
    if d := _interval(c.recordedDate):
        return d, "recorded"
    return None, None


def _obs(
    o: Observation, refs: ReferenceIndex, reports: dict[int, Report] | None = None
) -> Obs | None:
    if o.status in _OBS_DROPPED:
        return None
    d = (
        _interval(o.effectiveDateTime)
        or (_interval(o.effectivePeriod.start) if o.effectivePeriod else None)
        or _interval(o.effectiveInstant)
        or _interval(o.issued)
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
        _interval(r.effectiveDateTime)
        or (_interval(r.effectivePeriod.start) if r.effectivePeriod else None)
        or _interval(r.issued)
    )
    return Report(res=r, date=d)


def _proc(p: Procedure) -> Proc | None:
    if p.status in _PROC_DONE:
        status = "done" if p.status == "completed" else "ongoing"
    elif p.status == "preparation":
        status = "planned"
    else:
        return None  # not-done, entered-in-error, stopped, on-hold, unknown
    start = _interval(p.performedDateTime) or (
        _interval(p.performedPeriod.start) if p.performedPeriod else None
    )
    end = (_interval(p.performedPeriod.end) if p.performedPeriod else None) or (
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
