"""A fast, typed projection of just the FHIR R4 elements the facts need.

Why not fhir.resources here: its full validation of a 300-Condition Bundle takes ~170 ms, this
projection ~12 ms, and the CDS Hooks budget is ~500 ms for the whole exchange. fhir.resources is
kept where full fidelity matters: validating fhir-examples/ and building the suggested
ServiceRequests. The projection ignores every element it does not name (EHR data is not ours),
but checks the types and dates of those it does: a resource that fails is skipped and named in
the data gaps, never allowed to sink the request.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict

from sarcoma_cds.values.dates import DateInterval, parse_fhir_date


def _check_date(v: str | None) -> str | None:
    if v is not None:
        parse_fhir_date(v)
    return v


FhirDate = Annotated[str | None, AfterValidator(_check_date)]


class _Element(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Coding(_Element):
    system: str | None = None
    code: str | None = None
    display: str | None = None


class CodeableConcept(_Element):
    coding: tuple[Coding, ...] = ()
    text: str | None = None

    def label(self) -> str:
        """Something a clinician recognises: the text, else a display, else the first code."""
        if self.text:
            return self.text
        for c in self.coding:
            if c.display:
                return c.display
        return next((c.code for c in self.coding if c.code), "uncoded")

    def first_code(self) -> str | None:
        return next((c.code for c in self.coding if c.code), None)


class Reference(_Element):
    reference: str | None = None


class Identifier(_Element):
    system: str | None = None
    value: str | None = None


class Contained(_Element):
    """A contained resource, read only for its identity (an mCODE Tumor BodyStructure)."""

    resourceType: str | None = None
    id: str | None = None
    identifier: tuple[Identifier, ...] = ()


class Quantity(_Element):
    value: float | None = None
    unit: str | None = None
    system: str | None = None
    code: str | None = None


class Period(_Element):
    start: FhirDate = None
    end: FhirDate = None


class Extension(_Element):
    url: str | None = None
    valueCodeableConcept: CodeableConcept | None = None
    valueDateTime: FhirDate = None


class Patient(_Element):
    resourceType: Literal["Patient"]
    id: str | None = None
    birthDate: FhirDate = None

    def birth(self) -> DateInterval | None:
        return parse_fhir_date(self.birthDate) if self.birthDate else None


class ConditionEvidence(_Element):
    detail: tuple[Reference, ...] = ()


class Condition(_Element):
    resourceType: Literal["Condition"]
    id: str | None = None
    clinicalStatus: CodeableConcept | None = None
    verificationStatus: CodeableConcept | None = None
    category: tuple[CodeableConcept, ...] = ()
    code: CodeableConcept | None = None
    bodySite: tuple[CodeableConcept, ...] = ()
    subject: Reference | None = None
    onsetDateTime: FhirDate = None
    onsetPeriod: Period | None = None
    onsetAge: Quantity | None = None
    recordedDate: FhirDate = None
    abatementDateTime: FhirDate = None
    extension: tuple[Extension, ...] = ()
    evidence: tuple[ConditionEvidence, ...] = ()


class Component(_Element):
    code: CodeableConcept | None = None
    valueQuantity: Quantity | None = None
    valueCodeableConcept: CodeableConcept | None = None
    valueInteger: int | None = None
    valueString: str | None = None
    valueBoolean: bool | None = None


class Observation(_Element):
    resourceType: Literal["Observation"]
    id: str | None = None
    status: str | None = None
    code: CodeableConcept | None = None
    subject: Reference | None = None
    focus: tuple[Reference, ...] = ()
    bodySite: CodeableConcept | None = None
    effectiveDateTime: FhirDate = None
    effectivePeriod: Period | None = None
    effectiveInstant: FhirDate = None
    issued: FhirDate = None
    valueQuantity: Quantity | None = None
    valueCodeableConcept: CodeableConcept | None = None
    valueInteger: int | None = None
    valueString: str | None = None
    valueBoolean: bool | None = None
    component: tuple[Component, ...] = ()
    partOf: tuple[Reference, ...] = ()
    derivedFrom: tuple[Reference, ...] = ()
    contained: tuple[Contained, ...] = ()


class Procedure(_Element):
    resourceType: Literal["Procedure"]
    id: str | None = None
    status: str | None = None
    code: CodeableConcept | None = None
    category: CodeableConcept | None = None
    subject: Reference | None = None
    performedDateTime: FhirDate = None
    performedPeriod: Period | None = None
    bodySite: tuple[CodeableConcept, ...] = ()
    reasonReference: tuple[Reference, ...] = ()
    reasonCode: tuple[CodeableConcept, ...] = ()
    report: tuple[Reference, ...] = ()


class DiagnosticReport(_Element):
    """A pathology (or imaging) report: what it concluded, when, and what it rests on."""

    resourceType: Literal["DiagnosticReport"]
    id: str | None = None
    status: str | None = None
    category: tuple[CodeableConcept, ...] = ()
    code: CodeableConcept | None = None
    subject: Reference | None = None
    effectiveDateTime: FhirDate = None
    effectivePeriod: Period | None = None
    issued: FhirDate = None
    result: tuple[Reference, ...] = ()
    conclusionCode: tuple[CodeableConcept, ...] = ()
    conclusion: str | None = None


Resource = Patient | Condition | Observation | Procedure | DiagnosticReport

_MODELS: dict[
    str,
    type[Patient] | type[Condition] | type[Observation] | type[Procedure] | type[DiagnosticReport],
] = {
    "Patient": Patient,
    "Condition": Condition,
    "Observation": Observation,
    "Procedure": Procedure,
    "DiagnosticReport": DiagnosticReport,
}


def project(raw: dict[str, Any]) -> Resource | None:
    """The projection of one resource, or None for a resource type the facts do not use.
    Raises pydantic.ValidationError (or InvalidDate inside it) for a broken resource."""
    model = _MODELS.get(str(raw.get("resourceType")))
    return model.model_validate(raw) if model else None
