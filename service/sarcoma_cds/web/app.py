"""The FastAPI application: CDS Hooks 2.0 discovery, patient-view service, feedback, health.

`create_app` is the only entry point (uvicorn uses it as a factory). Dependencies are injected so
tests and the CLI can pass a fake engine, an authenticator or a fixed "today".
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response

from sarcoma_cds import SERVICE_ID, __version__
from sarcoma_cds.pipeline import Engine
from sarcoma_cds.security.base import AuthenticationError, Authenticator
from sarcoma_cds.settings import Settings, UnsafeSettingsError
from sarcoma_cds.web.discovery import discovery_document
from sarcoma_cds.web.errors import Issue, ProblemError, install_error_handlers
from sarcoma_cds.web.feedback_store import FeedbackRecord, FeedbackStore
from sarcoma_cds.web.logs import configure_logging
from sarcoma_cds.web.models import parse_feedback, parse_service_request
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
    engine: Engine | None = None,
    authenticator: Authenticator | None = None,
    today: Callable[[], date] | None = None,
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
    engine = engine or Engine.load(settings)
    store = FeedbackStore.open(settings.feedback_db_url)
    clock = today or date.today
    public_url = (settings.public_url or "").rstrip("/")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()

    app = FastAPI(
        title="sarcoma-cds",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # an EHR-facing API: no interactive pages
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.feedback_store = store
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
        call = parse_service_request(await read_json(request, settings.max_body_bytes))
        request.state.hook_instance = call.request.hookInstance
        evaluation = await run_in_threadpool(
            engine.evaluate, call.patient_id, call.prefetch, clock(), call.user_id
        )
        return cards_response(evaluation.cards)

    @app.post("/cds-services/{service_id}/feedback")
    async def feedback(service_id: str, request: Request) -> Response:
        await authenticate(request)
        check_service(service_id)
        body = parse_feedback(await read_json(request, settings.max_body_bytes))
        records = [FeedbackRecord.from_item(service_id, item) for item in body.feedback]
        stored = await run_in_threadpool(store.add, records, datetime.now(UTC))
        return json_response({"received": len(records), "stored": stored})

    @app.get("/healthz")
    async def healthz() -> Response:
        return json_response({"status": "alive"})

    @app.get("/readyz")
    async def readyz() -> Response:
        if not await run_in_threadpool(store.ping):
            raise ProblemError.single(503, "transient", "feedback store unreachable")
        return json_response({"status": "ready", "service": SERVICE_ID})

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


def serve_app() -> FastAPI:
    """uvicorn's factory (`sarcoma-cds serve`): settings from the environment, JSON logs."""
    settings = Settings()
    configure_logging(settings.log_level)
    return create_app(settings)
