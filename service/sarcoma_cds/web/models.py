"""CDS Hooks 2.0 request bodies: the service call and the feedback call.

The client's JSON is not ours, so unknown fields are accepted (the spec lets clients extend).
Checks that span fields run in `parse_*` so the error names the exact field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from sarcoma_cds.web.errors import Issue, ProblemError, problem_from_validation

PATIENT_VIEW = "patient-view"

NonEmpty = Annotated[str, Field(min_length=1)]
HttpUrl = Annotated[str, Field(min_length=8, pattern=r"^https?://\S+$")]


class _ClientModel(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class FhirAuthorization(_ClientModel):
    access_token: str = Field(min_length=1, repr=False)  # never in reprs, logs or errors
    token_type: Literal["Bearer"]
    expires_in: int = Field(ge=0)
    scope: NonEmpty
    subject: NonEmpty
    patient: NonEmpty | None = None


class Context(_ClientModel):
    # Optional here so a call for another hook is answered "wrong hook", not "missing patient".
    userId: NonEmpty | None = None  # CDS Hooks field names are camelCase
    patientId: NonEmpty | None = None
    encounterId: NonEmpty | None = None


# A prefetch value is a FHIR resource (a searchset Bundle for queries) or null when the client
# had no data. An absent key means "not prefetched": the dict keeps that distinction.
PrefetchValue = dict[str, Any] | None


class ServiceRequest(_ClientModel):
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


class AcceptedSuggestion(_ClientModel):
    id: NonEmpty


class Coding(_ClientModel):
    code: NonEmpty
    system: NonEmpty | None = None
    display: NonEmpty | None = None


class OverrideReason(_ClientModel):
    reason: Coding | None = None
    userComment: NonEmpty | None = None


class FeedbackItem(_ClientModel):
    card: NonEmpty  # the card's uuid
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] | None = None
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: AwareDatetime  # ISO 8601; the spec says UTC

    @property
    def outcome_timestamp_utc(self) -> str:
        """One spelling per instant, so a repeat is recognised whatever offset it was sent in."""
        return self.outcomeTimestamp.astimezone(UTC).isoformat(timespec="microseconds")


class FeedbackRequest(_ClientModel):
    feedback: list[FeedbackItem] = Field(min_length=1)


def parse_feedback(body: Any) -> FeedbackRequest:
    """Validate a feedback call; raise ProblemError (400) naming the offending field."""
    try:
        request = FeedbackRequest.model_validate(body)
    except ValidationError as exc:
        raise problem_from_validation(exc) from None
    issues: list[Issue] = []
    for index, item in enumerate(request.feedback):
        if item.outcome == "overridden" and item.acceptedSuggestions:
            path = f"feedback[{index}].acceptedSuggestions"
            issues.append(Issue("invalid", f"{path}: not allowed when overridden", (path,)))
        if item.outcome == "accepted" and item.overrideReason is not None:
            path = f"feedback[{index}].overrideReason"
            issues.append(Issue("invalid", f"{path}: only allowed when overridden", (path,)))
    if issues:
        raise ProblemError(400, issues)
    return request
