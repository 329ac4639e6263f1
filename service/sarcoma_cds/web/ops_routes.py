"""Operational endpoints, public on purpose: liveness, readiness and Prometheus metrics carry no
patient data and must answer probes and scrapers that hold no CDS client token."""

from __future__ import annotations

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
    body, content_type = metrics_response(services.metrics, request.headers.get("accept"))
    return Response(body, media_type=content_type)


@router.get("/healthz")
async def healthz() -> Response:
    return json_response({"status": "alive"})


@router.get("/readyz")
async def readyz(services: AppServices) -> Response:
    if not await run_in_threadpool(services.feedback_store.ping):
        raise ProblemError.single(503, "transient", "feedback store unreachable")
    return json_response({"status": "ready", "service": SERVICE_ID})
