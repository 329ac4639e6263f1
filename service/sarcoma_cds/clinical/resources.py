"""The wrappers every fact module works on: a usable Condition (`Dx`), Observation (`Obs`),
Procedure or medication event (`Proc`) and DiagnosticReport (`Report`), each with its date
interval, its label and its evidence line. Which resources count and how they are dated is
`clinical/record.py` and `clinical/dating.py`; these only carry the result.
"""

from __future__ import annotations

import msgspec

from sarcoma_cds.clinical.codes import ICDO3, canonical_system, normalise_code
from sarcoma_cds.clinical.facts import Evidence
from sarcoma_cds.fhir.projection import (
    CodeableConcept,
    Coding,
    Condition,
    DiagnosticReport,
    MedicationUse,
    Observation,
    Procedure,
)
from sarcoma_cds.values.dates import DateInterval

HISTOLOGY_EXT = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
)


def codings(cc: CodeableConcept | None) -> tuple[Coding, ...]:
    return cc.coding if cc else ()


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

    def when(self, word: str, label: str | None = None) -> str:
        """ "Excision of neoplasm on 2025-11-28"; the label alone when undated."""
        day = self.start or self.end
        label = label or self.label()
        return f"{label} {word} {day.text}" if day else label

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
