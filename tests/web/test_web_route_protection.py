"""No route can forget authentication: every route of the app is either on the short public list
(probes, metrics, the OpenAPI description) or depends on `authenticate`, and in production each
protected route answers 401 without a token. A route added later is held to the same rule."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi.testclient import TestClient
from jwt.algorithms import ECAlgorithm
from web_fixtures import TODAY, FakeEngine

from sarcoma_cds import SERVICE_ID
from sarcoma_cds.security.jwt_verifier import JwtAuthenticator
from sarcoma_cds.settings import Settings
from sarcoma_cds.web.app import create_app
from sarcoma_cds.web.auth import Authenticated, authenticate, protected_router

PUBLIC_ROUTES = {"/healthz", "/readyz", "/metrics", "/openapi.json"}
# The tumour-board view is opened by a clinician's browser, not by a CDS client: it is
# authorised by the SMART launch itself (the EHR's OAuth server; tests/smart/test_launch.py).
SMART_ROUTES = {"/app/launch", "/app/callback", "/app/view"}
PUBLIC_URL = "https://cds.example.org"
ISSUER = "https://ehr.example.org"
JKU = f"{ISSUER}/.well-known/jwks.json"
KEY = ec.generate_private_key(ec.SECP384R1())


def calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from calls(sub)


def api_routes(app: FastAPI) -> list[RouteContext]:
    """Every route the app serves, with routers' dependencies applied (as FastAPI runs them)."""
    return list(iter_route_contexts(app.routes))


def unprotected_routes(app: FastAPI) -> list[str]:
    """Routes that are neither public by name nor guarded by `authenticate`."""
    found = []
    for route in api_routes(app):
        if route.path in PUBLIC_ROUTES | SMART_ROUTES:
            continue
        api = isinstance(route.original_route, APIRoute)
        if not (api and authenticate in set(calls(route.dependant))):
            found.append(str(route.path))
    return found


def token(audience: str) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": audience,
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
    }
    headers = {"typ": "JWT", "kid": "k1", "jku": JKU}
    return jwt.encode(claims, KEY, algorithm="ES384", headers=headers)


@pytest.fixture
def production_app(tmp_path: Path) -> FastAPI:
    clients = tmp_path / "trusted-clients.yaml"
    clients.write_text(f"- iss: {ISSUER}\n  jwks_uri: {JKU}\n  jku_allowlist:\n    - {JKU}\n")
    settings = Settings(
        mode="production",
        public_url=PUBLIC_URL,
        trusted_clients=clients,
        cors_origins=["https://ehr.example.org"],
        feedback_db_url=f"sqlite:///{tmp_path}/fb.sqlite3",
    )
    jwk = {**ECAlgorithm.to_jwk(KEY.public_key(), as_dict=True), "kid": "k1"}
    keys = httpx.MockTransport(
        lambda request: httpx.Response(200, content=json.dumps({"keys": [jwk]}).encode())
    )
    authenticator = JwtAuthenticator.from_settings(
        settings, http_client=httpx.Client(transport=keys)
    )
    engine = FakeEngine(settings=settings)
    return create_app(settings, engine=engine, authenticator=authenticator, today=lambda: TODAY)


def concrete(path: str) -> str:
    return path.replace("{service_id}", SERVICE_ID)


def test_every_route_is_public_by_name_or_requires_authentication(production_app: FastAPI) -> None:
    assert unprotected_routes(production_app) == []
    served = {route.path for route in api_routes(production_app)}
    assert served >= {"/cds-services", "/cds-services/{service_id}", *PUBLIC_ROUTES}


def test_each_protected_route_answers_401_without_a_token(production_app: FastAPI) -> None:
    routes = [r for r in api_routes(production_app) if r.path not in PUBLIC_ROUTES | SMART_ROUTES]
    assert len(routes) >= 3
    with TestClient(production_app, base_url=PUBLIC_URL) as client:
        for route in routes:
            for method in route.methods or ():
                answer = client.request(method, concrete(str(route.path)), json={})
                assert answer.status_code == 401, (method, route.path)
                assert answer.headers["www-authenticate"] == "Bearer"
                assert answer.json()["issue"][0]["code"] == "login"
        for path in PUBLIC_ROUTES - {"/metrics"}:
            assert client.get(path).status_code == 200, path
        # Production metrics answer only Prometheus's token (test_web_metrics_exposure.py).
        assert client.get("/metrics").status_code == 404


def test_a_route_added_to_a_protected_router_requires_authentication(
    production_app: FastAPI,
) -> None:
    router = protected_router()

    @router.get("/cds-services/extra/whoami")
    async def whoami(claims: Authenticated) -> dict[str, Any]:
        return {"iss": claims.get("iss")}

    production_app.include_router(router)
    assert unprotected_routes(production_app) == []
    path = "/cds-services/extra/whoami"
    with TestClient(production_app, base_url=PUBLIC_URL) as client:
        assert client.get(path).status_code == 401
        signed = {"Authorization": f"Bearer {token(PUBLIC_URL + path)}"}
        answer = client.get(path, headers=signed)
    assert answer.status_code == 200
    assert answer.json() == {"iss": ISSUER}


def test_a_route_added_without_the_dependency_is_reported(production_app: FastAPI) -> None:
    rogue = APIRouter()

    @rogue.get("/cds-services/extra/open")
    async def open_door() -> dict[str, str]:
        return {"patient": "data"}

    production_app.include_router(rogue)
    assert unprotected_routes(production_app) == ["/cds-services/extra/open"]
