"""Error responses as FHIR OperationOutcome JSON, and the handlers that produce them.

Every error body is an OperationOutcome so an EHR (or a person with curl) sees which field was
wrong. The issue and error types live in `cds_hooks.problems` (framework-free, shared with the
CLI); this module turns them, and FastAPI's own errors, into responses.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from sarcoma_cds.cds_hooks.problems import (
    INTERNAL_ERROR,
    Issue,
    ProblemError,
    issues_from_validation,
    operation_outcome,
)

__all__ = [
    "INTERNAL_ERROR",
    "Issue",
    "ProblemError",
    "install_error_handlers",
    "operation_outcome",
    "outcome_response",
]

logger = logging.getLogger("sarcoma_cds.web")

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


def outcome_response(
    status: int, issues: Sequence[Issue], headers: dict[str, str] | None = None
) -> Response:
    return Response(
        content=orjson.dumps(operation_outcome(issues)),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


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
