"""The CDS Hooks 2.0 service call (`POST /cds-services/{id}`) and its validation.

The client's JSON is not ours, so unknown fields are accepted (the spec lets clients extend).
Checks that span fields run in `parse_*` so the error names the exact field.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sarcoma_cds.cds_hooks.problems import Issue, ProblemError, problem_from_validation

PATIENT_VIEW = "patient-view"

NonEmpty = Annotated[str, Field(min_length=1)]
HttpUrl = Annotated[str, Field(min_length=8, pattern=r"^https?://\S+$")]


class ClientModel(BaseModel):
    """JSON the client wrote: unknown fields accepted, nothing changed after parsing."""

    model_config = ConfigDict(extra="allow", frozen=True)


class FhirAuthorization(ClientModel):
    """Read only when the service must fetch, so nothing here refuses a call: a token that
    cannot be used is named then (`token_problem`), and a call whose prefetch is complete never
    needs it. `token_type` is compared case-insensitively; `subject` may be missing."""

    access_token: Any = Field(default=None, repr=False)  # never in reprs, logs or errors
    token_type: Any = None
    expires_in: Any = None
    scope: Any = None
    subject: Any = None
    patient: Any = None

    def token(self) -> str | None:
        token = self.access_token
        return token if isinstance(token, str) and token else None

    def token_problem(self) -> str | None:
        """Why the access token cannot be used for the FHIR server, in a clinician's words."""
        if self.token() is None:
            return "no access token"
        kind = self.token_type
        if kind is not None and (not isinstance(kind, str) or kind.lower() != "bearer"):
            return "the access token is not of type Bearer"  # the value may hold the token
        return None


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
    # Values are checked in `parse_service_request`, for the keys this service reads only.
    prefetch: dict[str, Any] | None = None
    extension: dict[str, Any] | None = None

    @field_validator("fhirAuthorization", mode="before")
    @classmethod
    def _unusable_authorization_is_empty(cls, value: Any) -> Any:
        return {} if value is not None and not isinstance(value, dict) else value


@dataclass(frozen=True)
class PatientViewCall:
    """A validated patient-view call: what the engine needs."""

    request: ServiceRequest
    patient_id: str
    user_id: str | None
    prefetch: dict[str, PrefetchValue]


def parse_service_request(body: Any, read_keys: Collection[str] | None = None) -> PatientViewCall:
    """Validate a service call; raise ProblemError (400) naming the offending field.

    `read_keys`: the prefetch keys the service asked for; only their values are checked and
    other keys are ignored. None checks every key."""
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
    prefetch: dict[str, PrefetchValue] = {}
    issues: list[Issue] = []
    for key, value in (request.prefetch or {}).items():
        is_resource = isinstance(value, dict) and isinstance(value.get("resourceType"), str)
        if read_keys is not None and key not in read_keys:
            if is_resource:  # resources are read by their type, whatever key they came under
                prefetch[key] = value
            continue  # a key this service did not ask for: ignored, whatever it holds
        if value is None or is_resource:
            prefetch[key] = value
        else:
            path = f"prefetch.{key}"
            issues.append(
                Issue("invalid", f"{path}: not a FHIR resource (no resourceType)", (path,))
            )
    if issues:
        raise ProblemError(400, issues)
    return PatientViewCall(request, request.context.patientId, request.context.userId, prefetch)
