"""`sarcoma-cds serve`: start the server, or end it with exit 1 and one line saying why.

Every reason the service cannot run (settings, trusted clients, rules, feedback database, the
port) must end the whole server, whatever the worker count. uvicorn restarts a worker whose app
factory raises, forever, and nothing listens meanwhile. So, with several workers, the parent runs
the same start-up steps once before any worker exists (`check`), and a worker that fails anyway
(the database gone in between) exits with uvicorn's start-up failure code, which stops uvicorn's
supervisor; the parent then exits 1 too. With one worker the app is built once, in-process.
The web layer is named here only as strings (uvicorn imports it): the CLI stays web-free.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import uvicorn
from pydantic import ValidationError
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from sarcoma_cds.feedback.store import FeedbackStore, FeedbackStoreError
from sarcoma_cds.pipeline import Engine, RulesError
from sarcoma_cds.security.jwks import JwksError
from sarcoma_cds.security.jwt_verifier import JwtAuthenticator
from sarcoma_cds.security.replay import ReplayStoreError
from sarcoma_cds.security.trusted_clients import TrustedClientsError
from sarcoma_cds.server_stack import H11_NODELAY, MAX_HEADER_BYTES, SERVER_STACK
from sarcoma_cds.settings import Settings, UnsafeSettingsError

# uvicorn factories (web/app.py): one raising StartupError, one exiting with STARTUP_FAILURE.
APP_FACTORY = "sarcoma_cds.web.app:checked_app"
WORKER_FACTORY = "sarcoma_cds.web.app:worker_app"

__all__ = [
    "H11_NODELAY",
    "MAX_HEADER_BYTES",
    "SERVER_STACK",
    "STARTUP_FAILURE",
    "StartupError",
    "check",
    "load_settings",
    "one_line_reasons",
]

logger = logging.getLogger("sarcoma_cds.startup")


class StartupError(Exception):
    """The service cannot start; the message is one line naming what and why."""


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


@contextmanager
def one_line_reasons() -> Iterator[None]:
    """Turn every known start-up failure into a StartupError naming the part that failed."""
    try:
        yield
    except (UnsafeSettingsError, TrustedClientsError, JwksError) as exc:
        raise StartupError(f"settings: {_one_line(exc)}") from None
    except RulesError as exc:
        raise StartupError(f"rules: {_one_line(exc)}") from None
    except (FeedbackStoreError, ReplayStoreError) as exc:
        # The replay store lives in the same database (issue 17): in production it is opened
        # first, with the trusted clients, so an unwritable database fails here.
        raise StartupError(f"database: {_one_line(exc)}") from None


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"SARCOMA_CDS_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors()
        )
        raise StartupError(f"settings: {problems}") from None


def check(settings: Settings) -> None:
    """What the app does at start-up (web/app.py `serve_app`), without building it: production
    settings and trusted clients, rules, the feedback store."""
    with one_line_reasons():
        settings.check_safe()
        if settings.mode == "production":
            JwtAuthenticator.from_settings(settings).close()
        Engine.load(settings)
        FeedbackStore.open(settings.feedback_db_url).close()


def run_server(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve until told to stop; raise StartupError if the server could not start."""
    settings = load_settings()
    config = uvicorn.Config(
        APP_FACTORY,
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        log_config=None,  # serve_app installs JSON logging (in every worker too)
        access_log=False,  # our middleware logs each request without query strings
        **SERVER_STACK,
    )
    where = f"{config.host}:{config.port}"
    if config.workers == 1:
        server = uvicorn.Server(config)
        try:
            config.load()  # builds the app here: a StartupError leaves with its one line
            server.run()
        except SystemExit as exc:  # uvicorn's own start-up failures (port in use, lifespan)
            raise StartupError(f"server: cannot serve on {where} (exit {exc.code})") from None
        if not server.started:
            raise StartupError(f"server: did not start on {where}")
        return
    check(settings)
    config.app = WORKER_FACTORY
    try:
        socket = config.bind_socket()
    except SystemExit:
        raise StartupError(f"server: cannot listen on {where}") from None
    supervisor = Multiprocess(config, sockets=[socket])
    supervisor.run()
    if any(process.exitcode == STARTUP_FAILURE for process in supervisor.processes):
        raise StartupError("a worker could not start: the log line before this one says why")


def exit_on_failure(reason: StartupError) -> NoReturn:
    """In a worker process: uvicorn's supervisor stops the whole server on this exit code (on
    an exception it would start the worker again)."""
    logger.critical("worker cannot start: %s", reason)
    sys.exit(STARTUP_FAILURE)
