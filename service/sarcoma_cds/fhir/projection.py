"""A fast, typed, lenient projection of just the FHIR R4 elements the facts need.

Why not fhir.resources here: its full validation of a 300-Condition Bundle takes ~170 ms, and
the CDS Hooks budget is ~500 ms for the whole exchange. fhir.resources is kept where full
fidelity matters: validating fhir-examples/ and building the suggested ServiceRequests. The
projection ignores every element it does not name (EHR data is not ours), but checks the types
and dates of those it does.

msgspec Structs (frozen, no GC tracking: they hold only strings, numbers and other Structs)
built by `msgspec.convert` in C; docs/design.md ("The projection") has the numbers against
the pydantic models it replaced (issue 18).

Lenient field by field (clinical-logic §1.1): an element that fails its check (an impossible
date, a string where a number belongs, NaN, 1e300) is removed and named in `unreadable`; the rest
of the resource is used. A sarcoma whose onsetDateTime is "not-a-date" is still a sarcoma.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec

from sarcoma_cds.fhir.repair import UnreadableResource, repaired
from sarcoma_cds.values.dates import DateInterval, parse_fhir_date

__all__ = ["UnreadableResource", "project"]

# No quantity this service reads is anywhere near this; beyond it a number is a data error.
_MAX_MAGNITUDE = 1e9

if TYPE_CHECKING:
    FhirDateValue = str
else:

    class FhirDateValue(str):
        """A string checked as a FHIR date or dateTime by `_dec_hook` (msgspec calls the hook for
        a type of its own only): the string as written, nothing else."""

        __slots__ = ()


def _dec_hook(kind: type, value: Any) -> Any:
    """msgspec's hook for FhirDateValue: an error here names the element (its path)."""
    if kind is FhirDateValue and isinstance(value, str):
        parse_fhir_date(value)  # InvalidDate is a ValueError: the element is unreadable
        return FhirDateValue(value)
    raise ValueError("not a FHIR date")


FhirDate = FhirDateValue | None
# Strict JSON types (msgspec never coerces): a string "12" where a number belongs is
# unreadable, not silently converted; booleans are not numbers.
FhirString = str | None
FhirDecimal = Annotated[float, msgspec.Meta(ge=-_MAX_MAGNITUDE, le=_MAX_MAGNITUDE)] | None
FhirInteger = Annotated[int, msgspec.Meta(ge=-(2**31), le=2**31 - 1)] | None
FhirBoolean = bool | None


class _Element(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Unknown JSON members are ignored (msgspec's default)."""


class Coding(_Element, frozen=True, kw_only=True):
    system: FhirString = None
    code: FhirString = None
    display: FhirString = None


# SNOMED CT semantic tags, which close a fully specified name: "Synovial sarcoma (disorder)".
_SEMANTIC_TAG = re.compile(
    r"\s+\((?:disorder|finding|situation|procedure|morphologic abnormality|body structure|"
    r"observable entity|regime/therapy|qualifier value|substance|product|medicinal product|"
    r"medicinal product form|clinical drug|real clinical drug|event|record artifact|"
    r"assessment scale|staging scale|tumor staging|specimen|physical object|cell|cell structure|"
    r"disposition|environment|attribute|navigational concept)\)$"
)


def without_semantic_tag(name: str) -> str:
    # Most labels end in no ")" (the tag's `$` also matches before a final newline): the regex
    # only for those that can carry a tag; it ran for every label (issue 18).
    return _SEMANTIC_TAG.sub("", name) if name.endswith((")", ")\n")) else name


class CodeableConcept(_Element, frozen=True, kw_only=True):
    coding: tuple[Coding, ...] = ()
    text: FhirString = None

    def label(self) -> str:
        """Something a clinician recognises: the text, else a display, else the first code; a
        SNOMED fully specified name without its semantic tag (REVIEW5 m8: "History of cancer
        metastatic to liver", not "… (situation)")."""
        if self.text:
            return without_semantic_tag(self.text)
        for c in self.coding:
            if c.display:
                return without_semantic_tag(c.display)
        return next((c.code for c in self.coding if c.code), "uncoded")

    @property
    def coded(self) -> bool:
        return any(c.code for c in self.coding)


class Reference(_Element, frozen=True, kw_only=True):
    reference: FhirString = None
    display: FhirString = None


class Identifier(_Element, frozen=True, kw_only=True):
    system: FhirString = None
    value: FhirString = None


class Contained(_Element, frozen=True, kw_only=True):
    """A contained resource, read only for its identity (an mCODE Tumor BodyStructure)."""

    resourceType: FhirString = None
    id: FhirString = None
    identifier: tuple[Identifier, ...] = ()


class Quantity(_Element, frozen=True, kw_only=True):
    value: FhirDecimal = None
    unit: FhirString = None
    system: FhirString = None
    code: FhirString = None


class Period(_Element, frozen=True, kw_only=True):
    start: FhirDate = None
    end: FhirDate = None


class Extension(_Element, frozen=True, kw_only=True):
    url: FhirString = None
    valueCodeableConcept: CodeableConcept | None = None
    valueCoding: Coding | None = None
    valueDateTime: FhirDate = None
    valueReference: Reference | None = None


# The JSON name of `unreadable`: no FHIR element is spelt like this, and `project` overwrites
# whatever a request might send under it.
_UNREADABLE_KEY = "__sarcoma_cds_unreadable__"


class _Resource(_Element, frozen=True, kw_only=True):
    id: FhirString = None
    # Elements that were present but unreadable ("onsetDateTime 'not-a-date'"): unknown, named.
    # Set only by `project`, under a JSON name no FHIR element has.
    unreadable: tuple[str, ...] = msgspec.field(default=(), name=_UNREADABLE_KEY)


class Patient(_Resource, frozen=True, kw_only=True):
    resourceType: Literal["Patient"]
    birthDate: FhirDate = None

    def birth(self) -> DateInterval | None:
        return parse_fhir_date(self.birthDate) if self.birthDate else None


class ConditionEvidence(_Element, frozen=True, kw_only=True):
    detail: tuple[Reference, ...] = ()


class Condition(_Resource, frozen=True, kw_only=True):
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


class Component(_Element, frozen=True, kw_only=True):
    code: CodeableConcept | None = None
    valueQuantity: Quantity | None = None
    valueCodeableConcept: CodeableConcept | None = None
    valueInteger: FhirInteger = None
    valueString: FhirString = None
    valueBoolean: FhirBoolean = None


class Observation(_Resource, frozen=True, kw_only=True):
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


class Procedure(_Resource, frozen=True, kw_only=True):
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


class TimingRepeat(_Element, frozen=True, kw_only=True):
    boundsPeriod: Period | None = None


class Timing(_Element, frozen=True, kw_only=True):
    repeat: TimingRepeat | None = None
    event: tuple[FhirDateValue, ...] = ()


class Dosage(_Element, frozen=True, kw_only=True):
    timing: Timing | None = None


class _MedicationUse(_Resource, frozen=True, kw_only=True):
    status: FhirString = None
    subject: Reference | None = None
    medicationCodeableConcept: CodeableConcept | None = None
    medicationReference: Reference | None = None
    reasonReference: tuple[Reference, ...] = ()
    reasonCode: tuple[CodeableConcept, ...] = ()
    extension: tuple[Extension, ...] = ()


class MedicationRequest(_MedicationUse, frozen=True, kw_only=True):
    resourceType: Literal["MedicationRequest"]
    intent: FhirString = None
    authoredOn: FhirDate = None
    dosageInstruction: tuple[Dosage, ...] = ()


class MedicationAdministration(_MedicationUse, frozen=True, kw_only=True):
    resourceType: Literal["MedicationAdministration"]
    effectiveDateTime: FhirDate = None
    effectivePeriod: Period | None = None


class MedicationStatement(_MedicationUse, frozen=True, kw_only=True):
    resourceType: Literal["MedicationStatement"]
    effectiveDateTime: FhirDate = None
    effectivePeriod: Period | None = None
    dateAsserted: FhirDate = None


class Ingredient(_Element, frozen=True, kw_only=True):
    itemCodeableConcept: CodeableConcept | None = None


class Medication(_Resource, frozen=True, kw_only=True):
    resourceType: Literal["Medication"]
    code: CodeableConcept | None = None
    ingredient: tuple[Ingredient, ...] = ()


class DiagnosticReport(_Resource, frozen=True, kw_only=True):
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


class BodyStructure(_Resource, frozen=True, kw_only=True):
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

# Each class is named after its resourceType.
MODELS: dict[str, type[Resource]] = {
    m.__name__: m
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
USED_TYPES = frozenset(MODELS)
_LIST_OF: dict[type[Resource], Any] = {m: list[m] for m in MODELS.values()}  # type: ignore[valid-type]


def project(raw: dict[str, Any]) -> Resource | None:
    """The projection of one resource, or None for a resource type the facts do not use.

    A broken element is dropped and named in `.unreadable`; the input is never modified.
    Raises UnreadableResource when more than a few elements are broken."""
    model = MODELS.get(str(raw.get("resourceType")))
    return None if model is None else project_as(raw, model)


def project_many(raws: list[dict[str, Any]], model: type[Resource]) -> list[Resource | None]:
    """`project_as` of each of `raws` (all of type `model`), None for an unreadable one. One
    msgspec call for them all when none has a broken element: a call per resource cost a
    quarter of the projection (issue 18)."""
    try:
        out: list[Resource] = msgspec.convert(raws, _LIST_OF[model], dec_hook=_dec_hook)
    except msgspec.ValidationError:
        return [_readable(raw, model) for raw in raws]
    return [msgspec.structs.replace(r, unreadable=()) if r.unreadable else r for r in out]


def _readable(raw: dict[str, Any], model: type[Resource]) -> Resource | None:
    try:
        return project_as(raw, model)
    except UnreadableResource:
        return None


def project_as(raw: dict[str, Any], model: type[Resource]) -> Resource:
    """`project` for a caller that has looked up `MODELS[raw["resourceType"]]` already."""
    try:
        res = msgspec.convert(raw, model, dec_hook=_dec_hook)
    except msgspec.ValidationError:
        # Rare: the repair loop drops one broken element per round and names it.
        res, named = repaired(raw, lambda data: msgspec.convert(data, model, dec_hook=_dec_hook))
        return msgspec.structs.replace(res, unreadable=named)
    if res.unreadable:  # a request that sent the internal key: it is ours to set
        return msgspec.structs.replace(res, unreadable=())
    return res
