"""Reading a JSON request body safely: content type (415), size limit (413), time limit (408),
syntax (400).

The size limit is enforced twice: on the declared Content-Length before reading, and while
streaming, because chunked uploads declare no length. The time limit covers the whole body: a
client that stalls mid-upload is answered 408 instead of holding the worker (issue 17, F4).
"""

from __future__ import annotations

from typing import Any

import anyio
import orjson
from fastapi import Request

from sarcoma_cds.web.errors import Issue, ProblemError


def _is_json(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _too_large(limit: int) -> ProblemError:
    return ProblemError.single(413, "too-long", f"request body exceeds {limit} bytes")


async def read_limited_body(request: Request, limit: int, timeout: float = 10.0) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise ProblemError.single(400, "structure", "Content-Length is not a number")
        if int(declared) > limit:
            raise _too_large(limit)
    chunks: list[bytes] = []
    received = 0
    with anyio.move_on_after(timeout) as scope:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise _too_large(limit)
            chunks.append(chunk)
    if scope.cancelled_caught:
        raise ProblemError(
            408,
            [Issue("timeout", f"request body not received within {timeout:g} s")],
            headers={"Connection": "close"},
        )
    return b"".join(chunks)


async def read_json_bytes(request: Request, limit: int, timeout: float = 10.0) -> bytes:
    """The raw body of a JSON request (415, 413, 408 as above), not yet parsed."""
    if not _is_json(request.headers.get("content-type")):
        raise ProblemError.single(415, "not-supported", "Content-Type must be application/json")
    return await read_limited_body(request, limit, timeout)


def parse_json(body: bytes) -> Any:
    if not body.strip():
        raise ProblemError.single(400, "required", "request body is empty; a JSON object is needed")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        # orjson's message gives the position only, never the content.
        raise ProblemError.single(
            400, "structure", f"request body is not valid JSON: {exc}"
        ) from None


async def read_json(request: Request, limit: int, timeout: float = 10.0) -> Any:
    return parse_json(await read_json_bytes(request, limit, timeout))
