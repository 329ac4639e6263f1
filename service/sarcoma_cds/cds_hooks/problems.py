"""Refused requests: the HTTP status and the FHIR OperationOutcome issues that say why.

Framework-free, so request validation (here) and the CLI share it; the web layer turns a
`ProblemError` into its response. Messages never echo the input: it may hold tokens or patient
data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

MAX_ISSUES = 20  # a pathological body must not produce a pathological answer
# Whatever a message quotes of the request (a path, a key, an id) is cut to this: an error
# body must not echo a client's megabytes back (issue 17, F14).
MAX_DIAGNOSTICS_CHARS = 400
MAX_EXPRESSION_CHARS = 200


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Issue:
    code: str  # FHIR IssueType: invalid, required, structure, not-found, too-long, ...
    diagnostics: str
    expression: tuple[str, ...] = ()
    severity: str = "error"

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "severity": self.severity,
            "code": self.code,
            "diagnostics": clip(self.diagnostics, MAX_DIAGNOSTICS_CHARS),
        }
        if self.expression:
            out["expression"] = [clip(e, MAX_EXPRESSION_CHARS) for e in self.expression]
        return out


class ProblemError(Exception):
    """A request we refuse, with its HTTP status and the OperationOutcome issues that say why."""

    def __init__(
        self,
        status: int,
        issues: Sequence[Issue],
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__("; ".join(issue.diagnostics for issue in issues))
        self.status = status
        self.issues = tuple(issues)
        self.headers = headers

    @classmethod
    def single(
        cls, status: int, code: str, diagnostics: str, expression: str | None = None
    ) -> ProblemError:
        return cls(status, [Issue(code, diagnostics, (expression,) if expression else ())])


def operation_outcome(issues: Sequence[Issue]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [i.as_json() for i in issues]}


def field_path(loc: Sequence[int | str]) -> str:
    """("feedback", 0, "outcome") -> "feedback[0].outcome"."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def issues_from_validation(errors: Sequence[Any], prefix: Sequence[int | str] = ()) -> list[Issue]:
    """pydantic error dicts -> issues naming the field; the rejected input is never repeated."""
    issues: list[Issue] = []
    for error in errors[:MAX_ISSUES]:
        path = field_path([*prefix, *error.get("loc", ())])
        code = "required" if error.get("type") == "missing" else "invalid"
        message = str(error.get("msg", "invalid value"))
        issues.append(
            Issue(code, f"{path}: {message}" if path else message, (path,) if path else ())
        )
    return issues


def problem_from_validation(exc: ValidationError) -> ProblemError:
    return ProblemError(400, issues_from_validation(exc.errors(include_input=False)))


INTERNAL_ERROR = Issue("exception", "internal error; the request id identifies it in the logs")
