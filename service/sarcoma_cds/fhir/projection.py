"""A fast, typed, lenient projection of just the FHIR R4 elements the facts need.

Why not fhir.resources here: its full validation of a 300-Condition Bundle takes ~170 ms, this
projection ~12 ms, and the CDS Hooks budget is ~500 ms for the whole exchange. fhir.resources is
kept where full fidelity matters: validating fhir-examples/ and building the suggested
ServiceRequests. The projection ignores every element it does not name (EHR data is not ours),
but checks the types and dates of those it does.

Lenient field by field (clinical-logic §1.1): an element that fails its check (an impossible
date, a string where a number belongs, NaN, 1e300) is removed and named in `unreadable`; the rest
of the resource is used. A sarcoma whose onsetDateTime is "not-a-date" is still a sarcoma.
"""

from __future__ import annotations

import copy
import math
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
)

from sarcoma_cds.values.dates import DateInterval, parse_fhir_date

# No quantity this service reads is anywhere near this; beyond it a number is a data error.
_MAX_MAGNITUDE = 1e9
# A resource with more broken elements than this is set aside whole (nothing useful is left).
_MAX_REPAIRS = 8


def _check_date(v: str | None) -> str | None:
    if v is not None:
        parse_fhir_date(v)
    return v


def _check_number(v: float | None) -> float | None:
    if v is not None and (not math.isfinite(v) or abs(v) > _MAX_MAGNITUDE):
        raise ValueError("not a plausible number")
    return v


FhirDate = Annotated[str | None, Strict(), AfterValidator(_check_date)]
FhirString = Annotated[str | None, Strict()]
# JSON numbers only: a string "12" where a number belongs is unreadable, not silently converted.
FhirDecimal = Annotated[float | None, Strict(), AfterValidator(_check_number)]
FhirInteger = Annotated[int | None, Strict(), Field(ge=-(2**31), le=2**31 - 1)]
FhirBoolean = Annotated[bool | None, Strict()]


class _Element(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Coding(_Element):
    system: FhirString = None
    code: FhirString = None
    display: FhirString = None


class CodeableConcept(_Element):
    coding: tuple[Coding, ...] = ()
    text: FhirString = None

    def label(self) -> str:
        """Something a clinician recognises: the text, else a display, else the first code."""
        if self.text:
            return self.text
        for c in self.coding:
            if c.display:
                return c.display
        return next((c.code for c in self.coding if c.code), "uncoded")

    @property
    def coded(self) -> bool:
        return any(c.code for c in self.coding)


class Reference(_Element):
    reference: FhirString = None
    display: FhirString = None


class Identifier(_Element):
    system: FhirString = None
    value: FhirString = None


class Contained(_Element):
    """A contained resource, read only for its identity (an mCODE Tumor BodyStructure)."""

    resourceType: str | None = None
    id: str | None = None
    identifier: tuple[Identifier, ...] = ()


class Quantity(_Element):
    value: FhirDecimal = None
    unit: FhirString = None
    system: FhirString = None
    code: FhirString = None


class Period(_Element):
    start: FhirDate = None
    end: FhirDate = None


class Extension(_Element):
    url: FhirString = None
    valueCodeableConcept: CodeableConcept | None = None
    valueCoding: Coding | None = None
    valueDateTime: FhirDate = None
    valueReference: Reference | None = None


# The JSON name of `unreadable`: no FHIR element is spelt like this, and `project` overwrites
# whatever a request might send under it.
_UNREADABLE_KEY = "__sarcoma_cds_unreadable__"


class _Resource(_Element):
    id: FhirString = None
    # Elements that were present but unreadable ("onsetDateTime 'not-a-date'"): unknown, named.
    # Set only by `project`. A plain field, not a private attribute: pydantic initialises private
    # attributes in Python for every instance, which cost ~40 % of the projection of a chart.
    unreadable: tuple[str, ...] = Field(default=(), validation_alias=_UNREADABLE_KEY)


class Patient(_Resource):
    resourceType: Literal["Patient"]
    birthDate: FhirDate = None

    def birth(self) -> DateInterval | None:
        return parse_fhir_date(self.birthDate) if self.birthDate else None


class ConditionEvidence(_Element):
    detail: tuple[Reference, ...] = ()


class Condition(_Resource):
    resourceType: Literal["Condition"]
    clinicalStatus: CodeableConcept | None = None
    verificationStatus: CodeableConcept | None = None
    category: tuple[CodeableConcept, ...] = ()
    code: CodeableConcept | None = None
    bodySite: tuple[CodeableConcept, ...] = ()
    subject: Reference | None = None
    onsetDateTime: FhirDate = None
    onsetPeriod: Period | None = None
    onsetAge: Quantity | None = None
    onsetString: FhirString = None
    recordedDate: FhirDate = None
    abatementDateTime: FhirDate = None
    abatementPeriod: Period | None = None
    abatementAge: Quantity | None = None
    abatementString: FhirString = None
    abatementBoolean: FhirBoolean = None
    extension: tuple[Extension, ...] = ()
    evidence: tuple[ConditionEvidence, ...] = ()


class Component(_Element):
    code: CodeableConcept | None = None
    valueQuantity: Quantity | None = None
    valueCodeableConcept: CodeableConcept | None = None
    valueInteger: FhirInteger = None
    valueString: FhirString = None
    valueBoolean: FhirBoolean = None


class Observation(_Resource):
    resourceType: Literal["Observation"]
    status: FhirString = None
    code: CodeableConcept | None = None
    subject: Reference | None = None
    focus: tuple[Reference, ...] = ()
    derivedFrom: tuple[Reference, ...] = ()
    hasMember: tuple[Reference, ...] = ()
    bodySite: CodeableConcept | None = None
    effectiveDateTime: FhirDate = None
    effectivePeriod: Period | None = None
    effectiveInstant: FhirDate = None
    issued: FhirDate = None
    valueQuantity: Quantity | None = None
    valueCodeableConcept: CodeableConcept | None = None
    valueInteger: FhirInteger = None
    valueString: FhirString = None
    valueBoolean: FhirBoolean = None
    component: tuple[Component, ...] = ()
    extension: tuple[Extension, ...] = ()
    partOf: tuple[Reference, ...] = ()
    contained: tuple[Contained, ...] = ()


class Procedure(_Resource):
    resourceType: Literal["Procedure"]
    status: FhirString = None
    code: CodeableConcept | None = None
    category: CodeableConcept | None = None
    subject: Reference | None = None
    performedDateTime: FhirDate = None
    performedPeriod: Period | None = None
    bodySite: tuple[CodeableConcept, ...] = ()
    reasonReference: tuple[Reference, ...] = ()
    reasonCode: tuple[CodeableConcept, ...] = ()
    partOf: tuple[Reference, ...] = ()
    extension: tuple[Extension, ...] = ()
    report: tuple[Reference, ...] = ()


class TimingRepeat(_Element):
    boundsPeriod: Period | None = None


class Timing(_Element):
    repeat: TimingRepeat | None = None
    event: tuple[Annotated[str, Strict(), AfterValidator(_check_date)], ...] = ()


class Dosage(_Element):
    timing: Timing | None = None


class _MedicationUse(_Resource):
    status: FhirString = None
    subject: Reference | None = None
    medicationCodeableConcept: CodeableConcept | None = None
    medicationReference: Reference | None = None
    reasonReference: tuple[Reference, ...] = ()
    reasonCode: tuple[CodeableConcept, ...] = ()
    extension: tuple[Extension, ...] = ()


class MedicationRequest(_MedicationUse):
    resourceType: Literal["MedicationRequest"]
    intent: FhirString = None
    authoredOn: FhirDate = None
    dosageInstruction: tuple[Dosage, ...] = ()


class MedicationAdministration(_MedicationUse):
    resourceType: Literal["MedicationAdministration"]
    effectiveDateTime: FhirDate = None
    effectivePeriod: Period | None = None


class MedicationStatement(_MedicationUse):
    resourceType: Literal["MedicationStatement"]
    effectiveDateTime: FhirDate = None
    effectivePeriod: Period | None = None
    dateAsserted: FhirDate = None


class Ingredient(_Element):
    itemCodeableConcept: CodeableConcept | None = None


class Medication(_Resource):
    resourceType: Literal["Medication"]
    code: CodeableConcept | None = None
    ingredient: tuple[Ingredient, ...] = ()


class DiagnosticReport(_Resource):
    resourceType: Literal["DiagnosticReport"]
    status: FhirString = None
    category: tuple[CodeableConcept, ...] = ()
    code: CodeableConcept | None = None
    subject: Reference | None = None
    effectiveDateTime: FhirDate = None
    effectivePeriod: Period | None = None
    issued: FhirDate = None
    result: tuple[Reference, ...] = ()
    conclusion: FhirString = None
    conclusionCode: tuple[CodeableConcept, ...] = ()


class BodyStructure(_Resource):
    """mCODE Tumor: a lesion's identity (id, identifier) and location."""

    resourceType: Literal["BodyStructure"]
    patient: Reference | None = None
    location: CodeableConcept | None = None
    locationQualifier: tuple[CodeableConcept, ...] = ()
    morphology: CodeableConcept | None = None
    identifier: tuple[Identifier, ...] = ()
    extension: tuple[Extension, ...] = ()


MedicationUse = MedicationRequest | MedicationAdministration | MedicationStatement
Resource = (
    Patient
    | Condition
    | Observation
    | Procedure
    | MedicationRequest
    | MedicationAdministration
    | MedicationStatement
    | Medication
    | DiagnosticReport
    | BodyStructure
)

_MODELS: dict[str, type[Resource]] = {
    m.model_fields["resourceType"].annotation.__args__[0]: m  # type: ignore[union-attr]
    for m in (
        Patient,
        Condition,
        Observation,
        Procedure,
        MedicationRequest,
        MedicationAdministration,
        MedicationStatement,
        Medication,
        DiagnosticReport,
        BodyStructure,
    )
}
USED_TYPES = frozenset(_MODELS)


class UnreadableResource(ValueError):
    """Nothing useful of the resource could be read (too many broken elements)."""


def project(raw: dict[str, Any]) -> Resource | None:
    """The projection of one resource, or None for a resource type the facts do not use.

    A broken element is dropped and named in `.unreadable`; the input is never modified.
    Raises UnreadableResource when more than a few elements are broken."""
    model = _MODELS.get(str(raw.get("resourceType")))
    if model is None:
        return None
    data = raw
    unreadable: list[str] = []
    for _ in range(_MAX_REPAIRS):
        try:
            res = model.model_validate(data)
        except ValidationError as exc:
            if data is raw:
                data = copy.deepcopy(raw)  # only a broken resource pays for the copy
            errors = exc.errors()
            if any(e["loc"] and e["loc"][0] == "resourceType" for e in errors):
                raise UnreadableResource("resourceType") from exc
            for err in errors:
                unreadable.append(_describe(err))
            _prune(data, [tuple(e["loc"]) for e in errors])
            continue
        named = tuple(dict.fromkeys(unreadable))
        if named or res.unreadable:  # rare: a repaired resource (or a request that sent the key)
            res = res.model_copy(update={"unreadable": named})
        return res
    raise UnreadableResource(", ".join(unreadable[:5]))


def _describe(err: Any) -> str:
    path = ".".join(str(p) for p in err["loc"])
    value = err.get("input")
    shown = repr(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"{path} {shown}"


_GONE = object()


def _prune(data: Any, locs: list[tuple[int | str, ...]]) -> None:
    """Remove the element at each error location (a dict key or a list item)."""
    touched_lists: list[list[Any]] = []
    for loc in locs:
        parent: Any = data
        for step in loc[:-1]:
            try:
                parent = parent[step]
            except (KeyError, IndexError, TypeError):
                parent = None
                break
        if parent is None or not loc:
            continue
        last = loc[-1]
        if isinstance(parent, dict) and last in parent:
            del parent[last]
        elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
            parent[last] = _GONE
            touched_lists.append(parent)
    for lst in touched_lists:
        lst[:] = [x for x in lst if x is not _GONE]
