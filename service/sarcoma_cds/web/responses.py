"""JSON responses (orjson: the bodies are large and built often)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response


def json_response(document: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(document), status_code=status, media_type="application/json")
