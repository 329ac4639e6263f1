"""Structured JSON logs, one object per line.

Only whitelisted fields leave the process: request id, hookInstance, path, method, status,
duration. Tokens, patient ids and FHIR resources are never passed to a logger in this package.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

# `extra=` keys a log record may carry into the JSON line.
FIELDS = ("request_id", "hook_instance", "method", "path", "status", "duration_ms", "error")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value
        return orjson.dumps(line).decode()


def configure_logging(level: str) -> None:
    """Route our loggers and uvicorn's to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("sarcoma_cds", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
