"""The FastAPI application: CDS Hooks 2.0 discovery, patient-view service, feedback, health.

`create_app` is the only entry point (uvicorn uses it as a factory). It builds the `Services`
the routes depend on and assembles the routers; dependencies are injected so tests and the CLI
can pass a fake engine, an authenticator or a fixed "today".
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from sarcoma_cds import SERVICE_ID, __version__
from sarcoma_cds.feedback.issued_writer import IssuedCardsWriter
from sarcoma_cds.feedback.store import FeedbackStore
from sarcoma_cds.fhir.fetch import FhirFetcher
from sarcoma_cds.pipeline import Engine, Evaluator
from sarcoma_cds.security.base import Authenticator
from sarcoma_cds.security.jwt_verifier import JwtAuthenticator
from sarcoma_cds.settings import Settings, UnsafeSettingsError
from sarcoma_cds.smart.routes import smart_router
from sarcoma_cds.startup import StartupError, exit_on_failure, load_settings, one_line_reasons
from sarcoma_cds.web import cds_routes, ops_routes
from sarcoma_cds.web.edges import PreflightLog, TrailingSlash
from sarcoma_cds.web.errors import install_error_handlers
from sarcoma_cds.web.logs import configure_logging
from sarcoma_cds.web.metrics import Metrics
from sarcoma_cds.web.observe import ObserveRequests
from sarcoma_cds.web.openapi import install_openapi
from sarcoma_cds.web.request_context import RequestContextMiddleware
from sarcoma_cds.web.services import Services

logger = logging.getLogger("sarcoma_cds.web")


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
    feedback_store = FeedbackStore.open(settings.feedback_db_url)
    services = Services(
        settings=settings,
        evaluator=engine or Engine.load(settings),
        authenticator=authenticator,
        feedback_store=feedback_store,
        fetcher=fetcher or FhirFetcher(settings),
        metrics=Metrics(),
        today=today or date.today,
        issued_cards=IssuedCardsWriter(feedback_store, SERVICE_ID),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await services.fetcher.aclose()
        services.issued_cards.flush()  # what the last answers issued
        services.feedback_store.close()
        close = getattr(services.authenticator, "close", None)  # the replay store's connections
        if callable(close):
            close()

    app = FastAPI(
        title="sarcoma-cds",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # an EHR-facing API: no interactive pages
        redoc_url=None,
        openapi_url="/openapi.json",  # described in web/openapi.py; fuzzed by the tests
    )
    services.install(app)
    install_openapi(app)
    install_error_handlers(app)
    app.router.redirect_slashes = False  # TrailingSlash serves `/x/` as `/x`, no redirect
    app.include_router(cds_routes.router)
    app.include_router(ops_routes.router)
    app.include_router(smart_router(settings, services.evaluator, services.fetcher, services.today))
    install_middleware(app, services)
    return app


def install_middleware(app: FastAPI, services: Services) -> None:
    # Pure ASGI (web/observe.py), not @app.middleware("http"): Starlette's BaseHTTPMiddleware
    # runs every request through a task group and a memory stream (issue 18).
    app.add_middleware(ObserveRequests, metrics=services.metrics)
    app.add_middleware(RequestContextMiddleware)
    # Added last = outermost: even error answers carry CORS headers, and the browser's
    # preflight OPTIONS is answered here, before any authentication.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=services.settings.cors_origins,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "X-Request-Id"],
        expose_headers=["X-Request-Id"],
        max_age=600,
    )
    app.add_middleware(PreflightLog)  # outside CORS: sees how each preflight was answered
    app.add_middleware(TrailingSlash)  # outermost: routes and CORS see one spelling of a path


def serve_app(settings: Settings | None = None) -> FastAPI:
    """The served app (`sarcoma-cds serve`, through web/startup.py): settings from the
    environment, JSON logs, and in production the JWT authenticator built from the trusted
    clients."""
    settings = settings or Settings()
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


def checked_app() -> FastAPI:
    """uvicorn's factory for one worker (startup.py): any start-up failure is a StartupError
    with one line naming it."""
    settings = load_settings()
    with one_line_reasons():
        return serve_app(settings)


def worker_app() -> FastAPI:
    """uvicorn's factory for each of several workers: a failure exits the worker with the code
    that stops the whole server."""
    try:
        return checked_app()
    except StartupError as exc:
        exit_on_failure(exc)
