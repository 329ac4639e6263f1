"""The CDS Hooks 2.0 service call (`POST /cds-services/{id}`) and its validation.

The client's JSON is not ours, so unknown fields are accepted (the spec lets clients extend).
Checks that span fields run in `parse_*` so the error names the exact field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sarcoma_cds.cds_hooks.problems import Issue, ProblemError, problem_from_validation

PATIENT_VIEW = "patient-view"

NonEmpty = Annotated[str, Field(min_length=1)]
HttpUrl = Annotated[str, Field(min_length=8, pattern=r"^https?://\S+$")]


class ClientModel(BaseModel):
    """JSON the client wrote: unknown fields accepted, nothing changed after parsing."""

    model_config = ConfigDict(extra="allow", frozen=True)


class FhirAuthorization(ClientModel):
    access_token: str = Field(min_length=1, repr=False)  # never in reprs, logs or errors
    token_type: Literal["Bearer"]
    expires_in: int = Field(ge=0)
    scope: NonEmpty
    subject: NonEmpty
    patient: NonEmpty | None = None


class Context(ClientModel):
    # Optional here so a call for another hook is answered "wrong hook", not "missing patient".
    userId: NonEmpty | None = None  # CDS Hooks field names are camelCase
    patientId: NonEmpty | None = None
    encounterId: NonEmpty | None = None


# A prefetch value is a FHIR resource (a searchset Bundle for queries) or null when the client
# had no data. An absent key means "not prefetched": the dict keeps that distinction.
PrefetchValue = dict[str, Any] | None


class ServiceRequest(ClientModel):
    hook: NonEmpty
    hookInstance: NonEmpty
    fhirServer: HttpUrl | None = None
    fhirAuthorization: FhirAuthorization | None = None
    context: Context
    prefetch: dict[str, PrefetchValue] | None = None
    extension: dict[str, Any] | None = None


@dataclass(frozen=True)
class PatientViewCall:
    """A validated patient-view call: what the engine needs."""

    request: ServiceRequest
    patient_id: str
    user_id: str | None
    prefetch: dict[str, PrefetchValue]


def parse_service_request(body: Any) -> PatientViewCall:
    """Validate a service call; raise ProblemError (400) naming the offending field."""
    try:
        request = ServiceRequest.model_validate(body)
    except ValidationError as exc:
        raise problem_from_validation(exc) from None
    if request.hook != PATIENT_VIEW:
        raise ProblemError.single(
            400, "not-supported", f"hook: this service answers only {PATIENT_VIEW!r}", "hook"
        )
    if request.context.patientId is None:
        raise ProblemError.single(
            400, "required", "context.patientId: required by patient-view", "context.patientId"
        )
    if request.fhirAuthorization is not None and request.fhirServer is None:
        raise ProblemError.single(
            400, "required", "fhirServer: required when fhirAuthorization is given", "fhirServer"
        )
    prefetch = dict(request.prefetch or {})
    issues = [
        Issue(
            "invalid",
            f"prefetch.{key}: not a FHIR resource (no resourceType)",
            (f"prefetch.{key}",),
        )
        for key, value in prefetch.items()
        if value is not None and not isinstance(value.get("resourceType"), str)
    ]
    if issues:
        raise ProblemError(400, issues)
    return PatientViewCall(request, request.context.patientId, request.context.userId, prefetch)
