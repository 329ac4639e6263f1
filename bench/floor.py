"""The floor: the cheapest endpoint the same stack can offer for a patient-view call.

Same uvicorn server stack as `sarcoma-cds serve` (event loop, HTTP protocol, header limit and
TCP_NODELAY: `sarcoma_cds.server_stack`), FastAPI, route shape and body handling as the
service: it reads the body, parses it with orjson and validates it with the service's own request
model (when the web package is present; plain orjson otherwise), then answers `{"cards": []}`.
Whatever the service spends above this is the cost of deriving facts, evaluating rules and
building cards.

    python -m bench.floor --host 127.0.0.1 --port 8001 --workers 1
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from typing import Any

import orjson
import uvicorn
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


def server_stack() -> dict[str, Any]:
    """The loop and HTTP protocol options `serve` gives uvicorn (an older tree: uvicorn's)."""
    try:
        module = importlib.import_module("sarcoma_cds.server_stack")
    except ImportError:
        return {}
    stack: dict[str, Any] = module.SERVER_STACK
    return stack


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="the bench floor, under serve's server stack")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    uvicorn.run(
        "bench.floor:create_floor",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        log_level="warning",
        **server_stack(),
    )


if __name__ == "__main__":
    main()
