"""The tumour-board view as a SMART on FHIR app: `/app/launch`, `/app/callback`, `/app/view`.

EHR launch (`iss` and `launch`) and standalone launch (`iss` only) read the EHR's SMART
configuration and send the browser to its authorization endpoint with PKCE S256; the callback
checks the state against the session cookie, exchanges the code, and the view reads the patient's
data with the token through the service's own FHIR fetcher, then renders the engine's evaluation.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import anyio.to_thread
import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sarcoma_cds.fhir.fetch import FetchError, FhirFetcher
from sarcoma_cds.fhir.prefetch_templates import PREFETCH_TEMPLATES
from sarcoma_cds.pipeline import Engine, Evaluator
from sarcoma_cds.security.trusted_clients import load_trusted_clients
from sarcoma_cds.settings import Settings
from sarcoma_cds.smart.link import LAUNCH_PATH
from sarcoma_cds.smart.oauth import (
    LaunchError,
    authorization_url,
    check_url,
    discover,
    exchange_code,
    new_state,
    new_verifier,
)
from sarcoma_cds.smart.sessions import COOKIE, AppSession, PendingLaunch, SessionStore
from sarcoma_cds.timeline.render import render_error, render_view
from sarcoma_cds.timeline.view import build_view

log = logging.getLogger("sarcoma_cds.smart")

CALLBACK_PATH = "/app/callback"
VIEW_PATH = "/app/view"
MAX_PARAM = 2048
# The page is self-contained: inline styles and SVG, no script, nothing fetched.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def smart_enabled(settings: Settings) -> bool:
    """Production runs the app only with its own cookie-signing secret."""
    return settings.mode == "development" or settings.smart_session_secret is not None


def allowed_issuers(settings: Settings) -> frozenset[str] | None:
    """The `iss` values that may launch the app: None (any) in development; in production the
    `fhir_servers` of the trusted clients."""
    if settings.mode == "development":
        return None
    if settings.trusted_clients is None:
        return frozenset()
    clients = load_trusted_clients(settings.trusted_clients)  # invalid: start-up fails, named
    return frozenset(url for client in clients for url in client.fhir_servers)


def _allowed_launch(
    settings: Settings, issuers: frozenset[str] | None, query: Mapping[str, str]
) -> tuple[str, str | None]:
    """(iss, launch) of a launch the service may follow; LaunchError otherwise."""
    if not smart_enabled(settings):
        raise LaunchError(
            503,
            "Not configured",
            "the tumour-board view is off: SARCOMA_CDS_SMART_SESSION_SECRET is not set",
        )
    iss, launch_id = _launch_params(query)
    iss = str(check_url(iss, "iss", settings.mode == "development")).rstrip("/")
    if issuers is not None and iss not in issuers:
        log.warning("SMART launch refused: iss not listed for a trusted client")
        raise LaunchError(
            403,
            "EHR not allowed",
            "this EHR's FHIR server (iss) is not listed for a trusted client",
        )
    return iss, launch_id


def _authorization_code(
    params: Mapping[str, str], pending: PendingLaunch | None
) -> tuple[PendingLaunch, str]:
    """The launch this callback answers and its authorization code; LaunchError when there is
    no launch, the state differs, the EHR refused, or no code came."""
    if pending is None:
        raise LaunchError(
            401,
            "Launch expired",
            "no launch in progress for this browser (it expired, or cookies are blocked)",
        )
    if not secrets.compare_digest(params.get("state", ""), pending.state):
        log.warning("SMART callback refused: state does not match the launch")
        raise LaunchError(401, "Launch refused", "the state does not match this launch")
    if "error" in params:
        error = params.get("error", "")[:64]
        raise LaunchError(
            403, "Authorization refused", f"the EHR refused the authorization ({error})"
        )
    code = params.get("code")
    if not code or len(code) > MAX_PARAM:
        raise LaunchError(400, "Launch refused", "the EHR sent no authorization code")
    return pending, code


def smart_router(
    settings: Settings,
    evaluator: Evaluator,
    fetcher: FhirFetcher,
    today: Callable[[], date],
    store: SessionStore | None = None,
) -> APIRouter:
    router = APIRouter(include_in_schema=False)  # browser pages, not the CDS Hooks API
    development = settings.mode == "development"
    sessions = store or _session_store(settings)
    issuers = allowed_issuers(settings) if smart_enabled(settings) else frozenset()
    engine = _engine_of(evaluator, settings)

    def base_url(request: Request) -> str:
        return (settings.public_url or str(request.base_url)).rstrip("/")

    def cookie_args(request: Request) -> dict[str, Any]:
        return {
            "httponly": True,
            "samesite": "lax",
            "secure": base_url(request).startswith("https://"),
            "path": "/app",
        }

    @router.get(LAUNCH_PATH)
    async def launch(request: Request) -> Response:
        try:
            iss, launch_id = _allowed_launch(settings, issuers, request.query_params)
            async with httpx.AsyncClient(
                timeout=settings.fetch_timeout_seconds * 5, follow_redirects=False
            ) as client:
                config = await discover(client, iss, development)
            redirect_uri = base_url(request) + CALLBACK_PATH
            state, verifier = new_state(), new_verifier()
            target = await authorization_url(
                settings,
                config,
                redirect_uri,
                iss=iss,
                launch=launch_id,
                state=state,
                verifier=verifier,
            )
        except LaunchError as exc:
            return _error(exc)
        cookie = sessions.start_launch(iss, state, verifier, config.token_endpoint, redirect_uri)
        response = RedirectResponse(target, status_code=302)
        response.set_cookie(COOKIE, cookie, max_age=600, **cookie_args(request))
        response.headers["Cache-Control"] = "no-store"
        return response

    @router.get(CALLBACK_PATH)
    async def callback(request: Request) -> Response:
        params = request.query_params
        pending = sessions.take_launch(request.cookies.get(COOKIE))
        try:
            pending, code = _authorization_code(params, pending)
            granted = await exchange_code(
                settings, pending.token_endpoint, pending.redirect_uri, code, pending.verifier
            )
        except LaunchError as exc:
            refused = _error(exc)
            refused.delete_cookie(COOKIE, path="/app")
            return refused
        cookie = sessions.open_session(
            pending.iss, granted.access_token, granted.patient_id, granted.expires_in
        )
        response = RedirectResponse(VIEW_PATH, status_code=303)
        response.set_cookie(COOKIE, cookie, **cookie_args(request))
        response.headers["Cache-Control"] = "no-store"
        return response

    @router.get(VIEW_PATH)
    async def view(request: Request) -> Response:
        try:
            session = _open_session(sessions, request.cookies.get(COOKIE))
            prefetch, unreadable = await _read_patient(fetcher, session)
        except LaunchError as exc:
            return _error(exc)
        chosen = engine()
        page = await anyio.to_thread.run_sync(
            lambda: render_view(
                build_view(chosen, session.patient_id, prefetch, today(), unreadable, session.iss)
            )
        )
        return HTMLResponse(page, headers=SECURITY_HEADERS)

    return router


def _engine_of(evaluator: Evaluator, settings: Settings) -> Callable[[], Engine]:
    """The engine behind `evaluator`; a test that passed a fake evaluator gets the real engine
    for the view, loaded on first use."""
    if isinstance(evaluator, Engine):
        return lambda: evaluator
    loaded: list[Engine] = []

    def engine() -> Engine:
        if not loaded:
            loaded.append(Engine.load(settings))
        return loaded[0]

    return engine


def _session_store(settings: Settings) -> SessionStore:
    """Cookies signed with the configured secret; in development without one, a random key
    (sessions end with the process)."""
    secret = settings.smart_session_secret
    key = secret.get_secret_value().encode() if secret else secrets.token_bytes(32)
    return SessionStore(key, settings.smart_session_max_seconds)


def _open_session(sessions: SessionStore, cookie: str | None) -> AppSession:
    session = sessions.session(cookie)
    if session is None:
        raise LaunchError(
            401,
            "Session ended",
            "no active session: it expired with the EHR's access token, or the view "
            "was not launched from the EHR",
        )
    return session


def _launch_params(params: Mapping[str, str]) -> tuple[str, str | None]:
    iss = params.get("iss")
    if not iss:
        raise LaunchError(400, "Invalid launch", "the launch has no iss (the EHR's FHIR server)")
    launch = params.get("launch")
    if len(iss) > MAX_PARAM or (launch is not None and len(launch) > MAX_PARAM):
        raise LaunchError(400, "Invalid launch", "a launch parameter is too long")
    if launch == "":
        raise LaunchError(400, "Invalid launch", "the launch parameter is empty")
    return iss, launch


async def _read_patient(
    fetcher: FhirFetcher, session: AppSession
) -> tuple[dict[str, Any], dict[str, str]]:
    try:
        outcome = await fetcher.complete(
            {},
            list(PREFETCH_TEMPLATES),
            {"patientId": session.patient_id},
            session.iss,
            session.access_token,
            fhir_servers=(session.iss,),  # checked against the trusted clients at launch
        )
    except FetchError as exc:
        raise LaunchError(
            502, "Patient data unavailable", f"{exc.resource_type}: {exc.reason}"
        ) from None
    return outcome.prefetch, outcome.unavailable


def _error(exc: LaunchError) -> HTMLResponse:
    return HTMLResponse(
        render_error(exc.title, exc.message), status_code=exc.status, headers=SECURITY_HEADERS
    )
