"""The CDS Hooks endpoints: discovery, the patient-view service and feedback.

All three sit on a protected router: an unauthenticated caller learns nothing, not even whether
a service id exists.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from sarcoma_cds import SERVICE_ID
from sarcoma_cds.cards.unavailable import data_unavailable_card
from sarcoma_cds.cds_hooks.feedback import parse_feedback
from sarcoma_cds.cds_hooks.request import PatientViewCall, parse_service_request
from sarcoma_cds.feedback.store import FeedbackRecord
from sarcoma_cds.fhir.fetch import FetchError
from sarcoma_cds.fhir.prefetch_templates import (
    PREFETCH_TEMPLATES,
    InvalidContextError,
    resource_type_of,
)
from sarcoma_cds.pipeline import Evaluation
from sarcoma_cds.smart.link import launch_url, with_launch_link
from sarcoma_cds.smart.routes import smart_enabled
from sarcoma_cds.web.auth import Authenticated, protected_router
from sarcoma_cds.web.discovery import discovery_document
from sarcoma_cds.web.errors import ProblemError
from sarcoma_cds.web.request_body import parse_json, read_json, read_json_bytes
from sarcoma_cds.web.responses import json_response
from sarcoma_cds.web.services import AppServices, Services

logger = logging.getLogger("sarcoma_cds.web")
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
async def call_service(
    service_id: str, request: Request, services: AppServices, claims: Authenticated
) -> Response:
    check_service(service_id)
    settings = services.settings
    # Received before taking a slot: a stalled upload must not hold one (issue 17, F4).
    raw = await read_json_bytes(
        request, settings.max_body_bytes, settings.body_read_timeout_seconds
    )
    async with services.in_flight:
        call = parse_service_request(parse_json(raw), PREFETCH_TEMPLATES)
        request.state.hook_instance = call.request.hookInstance
        try:
            prefetch, unreadable = await complete_prefetch(call, services, claims)
        except FetchError as exc:
            if services.settings.prefetch_failure != "card":
                raise _precondition_failed(exc) from None
            card = data_unavailable_card(
                exc.key, exc.reason, call.request.hookInstance, call.patient_id
            )
            return _answer(Evaluation(cards=[card]), services, request)
        fhir_server = str(call.request.fhirServer) if call.request.fhirServer else None
        # On the event loop, not in a worker thread: evaluation is CPU-bound under one GIL, so
        # a thread added no throughput, and while the loop evaluates it reads no further
        # bodies off the sockets (peak RSS at 1,000 resources, c=32: ~160 → ~142 MB; issue 18).
        # The loop is held for one evaluation: ~5 ms at 300 resources, ~17 ms at 1,000.
        evaluation = services.evaluator.evaluate(
            call.patient_id,
            prefetch,
            services.today(),
            call.user_id,
            hook_instance=call.request.hookInstance,
            unreadable=unreadable,
            fhir_server=fhir_server,
        )
    return _answer(evaluation, services, request)


def _answer(evaluation: Evaluation, services: Services, request: Request) -> Response:
    document = evaluation.response().to_json()  # serialised once, under the JSON rule
    if smart_enabled(services.settings):
        base = services.public_url or str(request.base_url).rstrip("/")
        document["cards"] = with_launch_link(document["cards"], launch_url(base))
    services.metrics.record_cards(document["cards"])
    # Which rule issued each card, for the feedback report: queued, stored in batches off the
    # request path (feedback/issued_writer.py); the clinician never waits for the bookkeeping.
    services.issued_cards.submit(document["cards"], datetime.now(UTC))
    return json_response(document)


def _precondition_failed(exc: FetchError) -> ProblemError:
    return ProblemError.single(
        412,
        "incomplete",
        f"{exc.resource_type}: not in the prefetch and not obtainable from the FHIR "
        f"server ({exc.reason})",
        f"prefetch.{exc.key}",
    )


async def complete_prefetch(
    call: PatientViewCall, services: Services, claims: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Fetch the keys the client left out, sent as failed, or sent in part (CDS Hooks 2.0
    "FHIR Resource Access"). Raises FetchError when the required data cannot be obtained;
    optional data that cannot be is returned as key -> reason, named on the summary card."""
    auth = call.request.fhirAuthorization
    context = {k: v for k, v in call.request.context.model_dump().items() if isinstance(v, str)}
    try:
        outcome = await services.fetcher.complete(
            call.prefetch,
            PREFETCH_TEMPLATES,
            context,
            call.request.fhirServer,
            auth.token() if auth else None,
            token_problem=auth.token_problem() if auth else None,
            fhir_servers=services.client_fhir_servers(claims),
        )
    except InvalidContextError as exc:
        raise ProblemError.single(400, "invalid", f"context: {exc}", "context") from None
    except FetchError as exc:
        services.metrics.record_fallback_failure(exc.resource_type, exc.kind)
        raise
    for key in outcome.fetched:
        services.metrics.record_fallback_fetch(resource_type_of(PREFETCH_TEMPLATES[key]))
    return outcome.prefetch, outcome.unavailable


@router.post("/cds-services/{service_id}/feedback")
async def feedback(
    service_id: str, request: Request, services: AppServices, claims: Authenticated
) -> Response:
    check_service(service_id)
    settings = services.settings
    body = parse_feedback(
        await read_json(request, settings.max_body_bytes, settings.body_read_timeout_seconds),
        settings.feedback_max_entries,
    )
    issuer, tenant = claims.get("iss"), claims.get("tenant")
    records = [
        FeedbackRecord.from_item(
            service_id,
            item,
            issuer if isinstance(issuer, str) else None,
            tenant if isinstance(tenant, str) else None,
        )
        for item in body.feedback
    ]
    stored = await run_in_threadpool(_store_feedback, services, records, datetime.now(UTC))
    return json_response({"received": len(records), "stored": stored})


def _store_feedback(
    services: Services, records: list[FeedbackRecord], received_at: datetime
) -> int:
    # Cards issued moments ago first: an override's display is filled from its card's reasons.
    services.issued_cards.flush()
    return services.feedback_store.add(records, received_at)
