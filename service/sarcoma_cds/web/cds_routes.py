"""The CDS Hooks endpoints: discovery, the patient-view service and feedback.

All three sit on a protected router: an unauthenticated caller learns nothing, not even whether
a service id exists.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from sarcoma_cds import SERVICE_ID
from sarcoma_cds.cds_hooks.feedback import parse_feedback
from sarcoma_cds.cds_hooks.request import PatientViewCall, parse_service_request
from sarcoma_cds.feedback.store import FeedbackRecord
from sarcoma_cds.fhir.fetch import FetchError
from sarcoma_cds.fhir.prefetch import resource_types_in
from sarcoma_cds.fhir.prefetch_templates import (
    PREFETCH_TEMPLATES,
    InvalidContextError,
    resource_type_of,
)
from sarcoma_cds.web.auth import protected_router
from sarcoma_cds.web.discovery import discovery_document
from sarcoma_cds.web.errors import ProblemError
from sarcoma_cds.web.request_body import read_json
from sarcoma_cds.web.responses import json_response
from sarcoma_cds.web.services import AppServices, Services

router = protected_router()


def check_service(service_id: str) -> None:
    if service_id != SERVICE_ID:
        raise ProblemError.single(
            404, "not-found", f"no CDS service {service_id!r}; see GET /cds-services"
        )


@router.get("/cds-services")
async def discovery() -> Response:
    return json_response(discovery_document())


@router.post("/cds-services/{service_id}")
async def call_service(service_id: str, request: Request, services: AppServices) -> Response:
    check_service(service_id)
    async with services.in_flight:
        call = parse_service_request(await read_json(request, services.settings.max_body_bytes))
        request.state.hook_instance = call.request.hookInstance
        prefetch, gaps = await complete_prefetch(call, services)
        evaluation = await anyio.to_thread.run_sync(
            lambda: services.evaluator.evaluate(
                call.patient_id,
                prefetch,
                services.today(),
                call.user_id,
                hook_instance=call.request.hookInstance,
                gaps=gaps,
            ),
            limiter=services.evaluations,
        )
    document = evaluation.response().to_json()  # serialised once, under the JSON rule
    services.metrics.record_cards(document["cards"])
    return json_response(document)


async def complete_prefetch(
    call: PatientViewCall, services: Services
) -> tuple[dict[str, Any], list[str]]:
    """Fetch the keys the client left out (CDS Hooks 2.0 "FHIR Resource Access"); 412 when
    the required data cannot be obtained, a named gap when optional data cannot."""
    # A key whose resource type already came under another key (one Bundle with everything) is
    # not fetched again: resources are read by type, whatever key holds them.
    present = resource_types_in(call.prefetch)
    missing = [
        key
        for key in PREFETCH_TEMPLATES
        if key not in call.prefetch and resource_type_of(PREFETCH_TEMPLATES[key]) not in present
    ]
    if not missing:
        return call.prefetch, []
    auth = call.request.fhirAuthorization
    context = {k: v for k, v in call.request.context.model_dump().items() if isinstance(v, str)}
    try:
        outcome = await services.fetcher.complete(
            call.prefetch,
            missing,
            context,
            call.request.fhirServer,
            auth.access_token if auth else None,
        )
    except InvalidContextError as exc:
        raise ProblemError.single(400, "invalid", f"context: {exc}", "context") from None
    except FetchError as exc:
        services.metrics.record_fallback_failure(exc.resource_type, exc.kind)
        raise ProblemError.single(
            412,
            "incomplete",
            f"{exc.resource_type}: not in the prefetch and not obtainable from the FHIR "
            f"server ({exc.reason})",
            f"prefetch.{exc.key}",
        ) from None
    for key in outcome.fetched:
        services.metrics.record_fallback_fetch(resource_type_of(PREFETCH_TEMPLATES[key]))
    return outcome.prefetch, outcome.gaps


@router.post("/cds-services/{service_id}/feedback")
async def feedback(service_id: str, request: Request, services: AppServices) -> Response:
    check_service(service_id)
    body = parse_feedback(await read_json(request, services.settings.max_body_bytes))
    records = [FeedbackRecord.from_item(service_id, item) for item in body.feedback]
    stored = await run_in_threadpool(services.feedback_store.add, records, datetime.now(UTC))
    return json_response({"received": len(records), "stored": stored})
