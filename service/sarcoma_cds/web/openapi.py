"""The OpenAPI description (`GET /openapi.json`), with the CDS Hooks request bodies spelled out.

The routes read their bodies themselves (to enforce the size limit and give CDS Hooks errors), so
FastAPI cannot see the models: they are added here. Fuzzing (Schemathesis) runs against it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from sarcoma_cds import SERVICE_ID, __version__
from sarcoma_cds.cds_hooks.feedback import FeedbackRequest
from sarcoma_cds.cds_hooks.request import ServiceRequest

SERVICE_PATH = "/cds-services/{service_id}"
FEEDBACK_PATH = "/cds-services/{service_id}/feedback"


def _body(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema
    return {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
        },
    }


def install_openapi(app: FastAPI) -> None:
    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title="sarcoma-cds",
            version=__version__,
            description="CDS Hooks 2.0 service: liver metastases of soft tissue sarcoma",
            routes=app.routes,
        )
        components: dict[str, Any] = schema.setdefault("components", {}).setdefault("schemas", {})
        for path, model in ((SERVICE_PATH, ServiceRequest), (FEEDBACK_PATH, FeedbackRequest)):
            operation = schema["paths"][path]["post"]
            operation["requestBody"] = _body(model, components)
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "service_id":
                    parameter["schema"] = {"type": "string", "enum": [SERVICE_ID]}
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]
