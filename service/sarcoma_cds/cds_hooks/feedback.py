"""The CDS Hooks 2.0 feedback call (`POST /cds-services/{id}/feedback`) and its validation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, Field, ValidationError

from sarcoma_cds.cds_hooks.problems import Issue, ProblemError, problem_from_validation
from sarcoma_cds.cds_hooks.request import ClientModel

# One validation for every store (issue 17, F8/F9): what the columns hold, no NUL (PostgreSQL
# text cannot store it), instants a clinician can have clicked at. SQLite would take anything;
# PostgreSQL answered 500.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
DEFAULT_MAX_ENTRIES = 100


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _plausible_instant(value: datetime) -> datetime:
    try:
        year = value.astimezone(UTC).year
    except OverflowError:  # 9999-12-31T23:59:59-14:00 has no UTC year
        year = 0
    if not EARLIEST_YEAR <= year < LATEST_YEAR:
        raise ValueError(f"must lie between the years {EARLIEST_YEAR} and {LATEST_YEAR - 1}")
    return value


NoNul = AfterValidator(_no_nul)
CardId = Annotated[str, Field(min_length=1, max_length=128), NoNul]
SuggestionId = Annotated[str, Field(min_length=1, max_length=128), NoNul]
Code = Annotated[str, Field(min_length=1, max_length=256), NoNul]
CodeSystem = Annotated[str, Field(min_length=1, max_length=512), NoNul]
Display = Annotated[str, Field(min_length=1, max_length=1024), NoNul]
Comment = Annotated[str, Field(min_length=1, max_length=4096), NoNul]
Instant = Annotated[AwareDatetime, AfterValidator(_plausible_instant)]


class AcceptedSuggestion(ClientModel):
    id: SuggestionId


class ReasonCoding(ClientModel):
    """The Coding a clinician chose from a card's overrideReasons."""

    code: Code
    system: CodeSystem | None = None
    display: Display | None = None


class OverrideReason(ClientModel):
    reason: ReasonCoding | None = None
    userComment: Comment | None = None


class FeedbackItem(ClientModel):
    card: CardId  # the card's uuid
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] | None = Field(default=None, max_length=50)
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: Instant  # ISO 8601; the spec says UTC

    @property
    def outcome_timestamp_utc(self) -> str:
        """One spelling per instant, so a repeat is recognised whatever offset it was sent in."""
        return self.outcomeTimestamp.astimezone(UTC).isoformat(timespec="microseconds")


class FeedbackRequest(ClientModel):
    feedback: list[FeedbackItem] = Field(min_length=1)


def parse_feedback(body: Any, max_entries: int = DEFAULT_MAX_ENTRIES) -> FeedbackRequest:
    """Validate a feedback call; raise ProblemError (400) naming the offending field."""
    entries = body.get("feedback") if isinstance(body, dict) else None
    if isinstance(entries, list) and len(entries) > max_entries:
        raise ProblemError.single(
            400,
            "too-long",
            f"feedback: at most {max_entries} entries per call (got {len(entries)})",
            "feedback",
        )
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
