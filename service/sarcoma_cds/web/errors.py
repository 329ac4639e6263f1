"""Error responses as FHIR OperationOutcome JSON, and the handlers that produce them.

Every error body is an OperationOutcome so an EHR (or a person with curl) sees which field was
wrong. Bodies never echo the input: it may hold tokens or patient data.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger("sarcoma_cds.web")

MAX_ISSUES = 20  # a pathological body must not produce a pathological answer

# FHIR IssueType codes, by HTTP status, for errors raised outside our own checks.
_CODE_BY_STATUS = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    413: "too-long",
    415: "not-supported",
}


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
            "diagnostics": self.diagnostics,
        }
        if self.expression:
            out["expression"] = list(self.expression)
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


def outcome_response(
    status: int, issues: Sequence[Issue], headers: dict[str, str] | None = None
) -> Response:
    return Response(
        content=orjson.dumps(operation_outcome(issues)),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


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


async def _on_problem(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return outcome_response(exc.status, exc.issues, exc.headers)


async def _on_request_validation(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    # FastAPI locations start with "body"/"query"/"path"; the client knows its own fields.
    errors = [
        {**e, "loc": tuple(e.get("loc", ()))[1:]} if e.get("loc", ("",))[0] == "body" else e
        for e in exc.errors()
    ]
    return outcome_response(400, issues_from_validation(errors))


async def _on_http_exception(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _CODE_BY_STATUS.get(exc.status_code, "processing")
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail else "request failed"
    headers = dict(exc.headers) if exc.headers else None
    return outcome_response(exc.status_code, [Issue(code, detail)], headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)


INTERNAL_ERROR = Issue("exception", "internal error; the request id identifies it in the logs")
