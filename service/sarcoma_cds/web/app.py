"""The FastAPI application: CDS Hooks 2.0 discovery, patient-view service, feedback, health.

`create_app` is the only entry point (uvicorn uses it as a factory). Dependencies are injected so
tests and the CLI can pass a fake engine, an authenticator or a fixed "today".
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

import anyio
import anyio.to_thread
import orjson
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response

from sarcoma_cds import SERVICE_ID, __version__
from sarcoma_cds.fhir.fetch import FetchError, FhirFetcher
from sarcoma_cds.fhir.prefetch_templates import (
    PREFETCH_TEMPLATES,
    InvalidContextError,
    resource_type_of,
)
from sarcoma_cds.pipeline import Engine, Evaluator
from sarcoma_cds.security.base import AuthenticationError, Authenticator
from sarcoma_cds.security.jwt_verifier import JwtAuthenticator
from sarcoma_cds.settings import Settings, UnsafeSettingsError
from sarcoma_cds.smart.link import launch_url, with_launch_link
from sarcoma_cds.smart.routes import smart_enabled, smart_router
from sarcoma_cds.web.discovery import discovery_document
from sarcoma_cds.web.errors import Issue, ProblemError, install_error_handlers
from sarcoma_cds.web.feedback_store import FeedbackRecord, FeedbackStore
from sarcoma_cds.web.logs import configure_logging
from sarcoma_cds.web.metrics import Metrics, metrics_response
from sarcoma_cds.web.models import PatientViewCall, parse_feedback, parse_service_request
from sarcoma_cds.web.openapi import install_openapi
from sarcoma_cds.web.request_body import read_json
from sarcoma_cds.web.request_context import RequestContextMiddleware
from sarcoma_cds.web.response import cards_response

logger = logging.getLogger("sarcoma_cds.web")

UNAUTHENTICATED = ProblemError(
    401, [Issue("login", "authentication required")], headers={"WWW-Authenticate": "Bearer"}
)


def json_response(document: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(document), status_code=status, media_type="application/json")


def create_app(
    settings: Settings | None = None,
    engine: Evaluator | None = None,
    authenticator: Authenticator | None = None,
    today: Callable[[], date] | None = None,
    fetcher: FhirFetcher | None = None,
) -> FastAPI:
    settings = settings or Settings()
    settings.check_safe()
    if authenticator is None:
        if settings.mode == "production":
            raise UnsafeSettingsError("refusing to start in production mode without authentication")
        logger.warning(
            "DEVELOPMENT MODE: CDS clients are NOT authenticated; never expose this service "
            "to a network or to real patient data"
        )
    evaluator: Evaluator = engine or Engine.load(settings)
    store = FeedbackStore.open(settings.feedback_db_url)
    fhir = fetcher or FhirFetcher(settings)
    metrics = Metrics()
    # Evaluation is CPU-bound and holds the GIL: more than two at once per worker adds memory
    # and latency, not throughput; the rest wait on the event loop.
    evaluations = anyio.CapacityLimiter(2)
    in_flight = anyio.CapacityLimiter(4)  # parsed bodies held at once (fetches wait inside)
    clock = today or date.today
    public_url = (settings.public_url or "").rstrip("/")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await fhir.aclose()
        store.close()

    app = FastAPI(
        title="sarcoma-cds",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # an EHR-facing API: no interactive pages
        redoc_url=None,
        openapi_url="/openapi.json",  # described in web/openapi.py; fuzzed by the tests
    )
    install_openapi(app)
    app.state.settings = settings
    app.state.engine = evaluator
    app.state.feedback_store = store
    app.state.metrics = metrics
    install_error_handlers(app)

    async def authenticate(request: Request) -> None:
        if authenticator is None:
            return
        base = public_url or str(request.base_url).rstrip("/")
        audience = base + request.url.path
        try:
            await run_in_threadpool(
                authenticator.verify, request.headers.get("authorization"), audience
            )
        except AuthenticationError as exc:
            metrics.record_authentication_failure(_route(request))
            # The message is the authenticator's, written never to contain the token.
            logger.warning(
                "authentication failed: %s",
                exc,
                extra={"request_id": request.state.request_id},
            )
            raise UNAUTHENTICATED from None

    def check_service(service_id: str) -> None:
        if service_id != SERVICE_ID:
            raise ProblemError.single(
                404, "not-found", f"no CDS service {service_id!r}; see GET /cds-services"
            )

    @app.get("/cds-services")
    async def discovery(request: Request) -> Response:
        await authenticate(request)
        return json_response(discovery_document())

    @app.post("/cds-services/{service_id}")
    async def call_service(service_id: str, request: Request) -> Response:
        await authenticate(request)  # first: unauthenticated callers learn nothing
        check_service(service_id)
        # A parsed 1,000-resource chart takes megabytes: hold only a few at once per worker.
        async with in_flight:
            call = parse_service_request(await read_json(request, settings.max_body_bytes))
            request.state.hook_instance = call.request.hookInstance
            prefetch, gaps = await complete_prefetch(call)
            evaluation = await anyio.to_thread.run_sync(
                lambda: evaluator.evaluate(
                    call.patient_id,
                    prefetch,
                    clock(),
                    call.user_id,
                    hook_instance=call.request.hookInstance,
                    gaps=gaps,
                ),
                limiter=evaluations,
            )
        cards = evaluation.cards
        if smart_enabled(settings):
            base = public_url or str(request.base_url).rstrip("/")
            cards = with_launch_link(cards, launch_url(base))
        metrics.record_cards(cards)
        return cards_response(cards)

    async def complete_prefetch(call: PatientViewCall) -> tuple[dict[str, Any], list[str]]:
        """Fetch the keys the client left out (CDS Hooks 2.0 "FHIR Resource Access"); 412 when
        the required data cannot be obtained, a named gap when optional data cannot."""
        missing = [key for key in PREFETCH_TEMPLATES if key not in call.prefetch]
        if not missing:
            return call.prefetch, []
        auth = call.request.fhirAuthorization
        context = {k: v for k, v in call.request.context.model_dump().items() if isinstance(v, str)}
        try:
            outcome = await fhir.complete(
                call.prefetch,
                missing,
                context,
                call.request.fhirServer,
                auth.access_token if auth else None,
            )
        except InvalidContextError as exc:
            raise ProblemError.single(400, "invalid", f"context: {exc}", "context") from None
        except FetchError as exc:
            metrics.record_fallback_failure(exc.resource_type, exc.kind)
            raise ProblemError.single(
                412,
                "incomplete",
                f"{exc.resource_type}: not in the prefetch and not obtainable from the FHIR "
                f"server ({exc.reason})",
                f"prefetch.{exc.key}",
            ) from None
        for key in outcome.fetched:
            metrics.record_fallback_fetch(resource_type_of(PREFETCH_TEMPLATES[key]))
        return outcome.prefetch, outcome.gaps

    @app.post("/cds-services/{service_id}/feedback")
    async def feedback(service_id: str, request: Request) -> Response:
        await authenticate(request)
        check_service(service_id)
        body = parse_feedback(await read_json(request, settings.max_body_bytes))
        records = [FeedbackRecord.from_item(service_id, item) for item in body.feedback]
        stored = await run_in_threadpool(store.add, records, datetime.now(UTC))
        return json_response({"received": len(records), "stored": stored})

    @app.get("/metrics")
    async def metrics_endpoint(request: Request) -> Response:
        body, content_type = metrics_response(metrics, request.headers.get("accept"))
        return Response(body, media_type=content_type)

    @app.middleware("http")
    async def observe(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        metrics.record_request(
            _route(request), request.method, response.status_code, time.perf_counter() - started
        )
        return response

    @app.get("/healthz")
    async def healthz() -> Response:
        return json_response({"status": "alive"})

    @app.get("/readyz")
    async def readyz() -> Response:
        if not await run_in_threadpool(store.ping):
            raise ProblemError.single(503, "transient", "feedback store unreachable")
        return json_response({"status": "ready", "service": SERVICE_ID})

    app.include_router(smart_router(settings, evaluator, fhir, clock))

    app.add_middleware(RequestContextMiddleware)
    # Added last = outermost: even error answers carry CORS headers, and the browser's
    # preflight OPTIONS is answered here, before any authentication.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "X-Request-Id"],
        expose_headers=["X-Request-Id"],
        max_age=600,
    )
    return app


def _route(request: Request) -> str | None:
    """The matched route template (bounded label values), not the raw path."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else None


def serve_app() -> FastAPI:
    """uvicorn's factory (`sarcoma-cds serve`): settings from the environment, JSON logs, and
    in production the JWT authenticator built from the trusted clients."""
    settings = Settings()
    configure_logging(settings.log_level)
    authenticator = None
    if settings.mode == "production":
        settings.check_safe()
        authenticator = JwtAuthenticator.from_settings(settings)
    app = create_app(settings, authenticator=authenticator)
    # Rules, value sets and code caches live for the process: keep them out of every GC pass;
    # a request allocates tens of thousands of short-lived objects, so collect less often.
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 50, 100)
    return app
