"""The floor: the cheapest endpoint the same stack can offer for a patient-view call.

Same uvicorn, FastAPI, route shape and body handling as the service: it reads the body, parses
it with orjson and validates it with the service's own request model (when the web package is
present; plain orjson otherwise), then answers `{"cards": []}`. Whatever the service spends above
this is the cost of deriving facts, evaluating rules and building cards.

    uvicorn bench.floor:create_floor --factory
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response

from sarcoma_cds import SERVICE_ID

EMPTY_CARDS = orjson.dumps({"cards": []})


def request_validator() -> tuple[str, Callable[[Any], object] | None]:
    """The service's request validator and its name, or ("orjson only", None) without it."""
    try:
        models = importlib.import_module("sarcoma_cds.cds_hooks.request")
    except ImportError:
        return "orjson only", None
    validate: Callable[[Any], object] = models.parse_service_request
    return "orjson + sarcoma_cds.cds_hooks.request.parse_service_request", validate


def create_floor() -> FastAPI:
    _, validate = request_validator()
    app = FastAPI(title="sarcoma-cds floor", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/cds-services/{service_id}")
    async def call_service(service_id: str, request: Request) -> Response:
        if service_id != SERVICE_ID:
            return Response(status_code=404)
        document = orjson.loads(await request.body())
        if validate is not None:
            validate(document)
        return Response(EMPTY_CARDS, media_type="application/json")

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    return app
