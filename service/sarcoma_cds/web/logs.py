"""Structured JSON logs, one object per line.

Only whitelisted fields leave the process: request id, hookInstance, path, method, status,
duration. Tokens, patient ids and FHIR resources are never passed to a logger in this package.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

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


# The loggers `configure_logging` takes over.
LOGGERS = ("sarcoma_cds", "uvicorn", "uvicorn.error")


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever `sys.stderr` is when a record is emitted, not to the stream that was
    stderr when logging was configured (as `logging.lastResort` does). A host that swaps
    stderr (a test runner's capture, an embedding server) may close the old stream; a handler
    holding it then fails on every line ("ValueError: I/O operation on closed file")."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    # Read-only on purpose: the stream is always the current stderr.
    @property
    def stream(self) -> TextIO:  # type: ignore[override]
        return sys.stderr


def configure_logging(level: str) -> None:
    """Route our loggers and uvicorn's to stderr as JSON lines."""
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter())
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
