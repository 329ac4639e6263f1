"""Operational endpoints: liveness and readiness are public on purpose (no patient data; probes
hold no CDS client token). Prometheus metrics are public in development; in production they
answer only a scraper presenting SARCOMA_CDS_METRICS_TOKEN, and look absent (404) to anyone
else (issue 17, F11: route names, traffic and failure counts help an attacker)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from sarcoma_cds import SERVICE_ID
from sarcoma_cds.web.errors import ProblemError
from sarcoma_cds.web.metrics import metrics_response
from sarcoma_cds.web.responses import json_response
from sarcoma_cds.web.services import AppServices

router = APIRouter()


@router.get("/metrics")
async def metrics_endpoint(request: Request, services: AppServices) -> Response:
    if services.settings.mode == "production" and not _scraper(request, services):
        raise ProblemError.single(404, "not-found", "Not Found")
    body, content_type = metrics_response(services.metrics, request.headers.get("accept"))
    return Response(body, media_type=content_type)


def _scraper(request: Request, services: AppServices) -> bool:
    token = services.settings.metrics_token
    if token is None:
        return False
    expected = f"Bearer {token.get_secret_value()}".encode()
    given = request.headers.get("authorization", "").encode()
    return hmac.compare_digest(given, expected)


@router.get("/healthz")
async def healthz() -> Response:
    return json_response({"status": "alive"})


@router.get("/readyz")
async def readyz(services: AppServices) -> Response:
    if not await run_in_threadpool(services.feedback_store.ping):
        raise ProblemError.single(503, "transient", "feedback store unreachable")
    return json_response({"status": "ready", "service": SERVICE_ID})
