"""Client authentication as a FastAPI dependency (CDS Hooks 2.0 §Trusting CDS Clients).

`protected_router()` puts `authenticate` on every route it holds, so a new route cannot forget
it; `Authenticated` gives a route the verified claims when it needs them (FastAPI runs the
dependency once per request either way). Only `ops_routes` (health, metrics) is public.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool

from sarcoma_cds.security.base import AuthenticationError
from sarcoma_cds.web.edges import called_path
from sarcoma_cds.web.errors import Issue, ProblemError
from sarcoma_cds.web.metrics import route_template
from sarcoma_cds.web.services import AppServices

logger = logging.getLogger("sarcoma_cds.web")

UNAUTHENTICATED = ProblemError(
    401, [Issue("login", "authentication required")], headers={"WWW-Authenticate": "Bearer"}
)


async def authenticate(request: Request, services: AppServices) -> Mapping[str, Any]:
    """The verified JWT claims of the calling CDS client; 401 without a valid token. In
    development mode (no authenticator) every caller passes with no claims."""
    authenticator = services.authenticator
    if authenticator is None:
        return {}
    base = services.public_url or str(request.base_url).rstrip("/")
    audience = base + called_path(request.scope)  # the URL the client called and signed
    try:
        return await run_in_threadpool(
            authenticator.verify, request.headers.get("authorization"), audience
        )
    except AuthenticationError as exc:
        services.metrics.record_authentication_failure(route_template(request))
        # The message is the authenticator's, written never to contain the token.
        logger.warning(
            "authentication failed: %s",
            exc,
            extra={"request_id": request.state.request_id},
        )
        raise UNAUTHENTICATED from None


Authenticated = Annotated[Mapping[str, Any], Depends(authenticate)]


def protected_router() -> APIRouter:
    """A router whose every route requires an authenticated client."""
    return APIRouter(dependencies=[Depends(authenticate)])
