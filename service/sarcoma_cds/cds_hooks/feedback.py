"""The CDS Hooks 2.0 feedback call (`POST /cds-services/{id}/feedback`) and its validation."""

from __future__ import annotations

from datetime import UTC
from typing import Any, Literal

from pydantic import AwareDatetime, Field, ValidationError

from sarcoma_cds.cds_hooks.problems import Issue, ProblemError, problem_from_validation
from sarcoma_cds.cds_hooks.request import ClientModel, NonEmpty


class AcceptedSuggestion(ClientModel):
    id: NonEmpty


class ReasonCoding(ClientModel):
    """The Coding a clinician chose from a card's overrideReasons."""

    code: NonEmpty
    system: NonEmpty | None = None
    display: NonEmpty | None = None


class OverrideReason(ClientModel):
    reason: ReasonCoding | None = None
    userComment: NonEmpty | None = None


class FeedbackItem(ClientModel):
    card: NonEmpty  # the card's uuid
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] | None = None
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: AwareDatetime  # ISO 8601; the spec says UTC

    @property
    def outcome_timestamp_utc(self) -> str:
        """One spelling per instant, so a repeat is recognised whatever offset it was sent in."""
        return self.outcomeTimestamp.astimezone(UTC).isoformat(timespec="microseconds")


class FeedbackRequest(ClientModel):
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
