"""What the routes use, built once per app by `create_app` and reached through `Depends`.

One typed object on `app.state` instead of a closure: routes live in their own modules
(`cds_routes`, `ops_routes`) and tests can still pass a fake engine, authenticator or "today".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

import anyio
from fastapi import Depends, FastAPI, Request

from sarcoma_cds.feedback.issued_writer import IssuedCardsWriter
from sarcoma_cds.feedback.store import FeedbackStore
from sarcoma_cds.fhir.fetch import FhirFetcher
from sarcoma_cds.pipeline import Evaluator
from sarcoma_cds.security.base import Authenticator
from sarcoma_cds.settings import Settings
from sarcoma_cds.web.metrics import Metrics


def _body_limiter() -> anyio.CapacityLimiter:
    # A parsed 1,000-resource chart takes megabytes: hold only a few at once per worker
    # (fetches for missing prefetch wait inside; evaluation runs on the loop, one at a time).
    return anyio.CapacityLimiter(4)


@dataclass(frozen=True)
class Services:
    settings: Settings
    evaluator: Evaluator
    authenticator: Authenticator | None  # None only in development mode
    feedback_store: FeedbackStore
    fetcher: FhirFetcher
    metrics: Metrics
    today: Callable[[], date]
    issued_cards: IssuedCardsWriter  # records, off the request path, who issued each card
    in_flight: anyio.CapacityLimiter = field(default_factory=_body_limiter)

    @property
    def public_url(self) -> str:
        return (self.settings.public_url or "").rstrip("/")

    def client_fhir_servers(self, claims: Mapping[str, Any]) -> tuple[str, ...] | None:
        """The FHIR base URLs listed for the verified caller; None in development (no client)."""
        if self.authenticator is None:
            return None
        # Authenticators that know no client entries (test doubles) list no servers.
        lookup = getattr(self.authenticator, "client", None)
        client = lookup(str(claims.get("iss"))) if callable(lookup) else None
        servers = getattr(client, "fhir_servers", ())
        return tuple(servers) if isinstance(servers, tuple) else ()

    def install(self, app: FastAPI) -> None:
        app.state.services = self


async def get_services(request: Request) -> Services:
    # async: FastAPI runs a plain `def` dependency in a worker thread, a thread hand-off per
    # request for an attribute read (issue 18).
    services = request.app.state.services
    assert isinstance(services, Services), "create_app installs the services"
    return services


AppServices = Annotated[Services, Depends(get_services)]
