"""Recording issued cards off the request path, in batches (issue 18).

Every patient-view answer tells the feedback store which rule issued each of its cards. Done per
answer in a background task, that cost a worker-thread hand-off and a transaction per call
(~0.45 ms of CPU at 300 resources, a third of the web layer's own work). Answers are queued here
instead (a list append on the event loop) and one writer thread stores what gathered over
`interval` seconds in one transaction; it stops after `idle` seconds without work and starts
again with the next answer, so an app that is built and dropped (tests, the CLI) leaves no
thread waiting.

`flush()` writes everything queued so far before it returns: the feedback route calls it before
storing feedback (an override's display is filled from the card's own reasons, so its card must
be stored), and the app calls it on shutdown. A store that is down loses that batch, logged by
the error's class name only, never the clinician's cards: they were answered already.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sarcoma_cds.feedback.store import FeedbackStore, IssuedCall

logger = logging.getLogger("sarcoma_cds.web")


class IssuedCardsWriter:
    def __init__(
        self, store: FeedbackStore, service_id: str, interval: float = 0.2, idle: float = 5.0
    ) -> None:
        self._store = store
        self._service_id = service_id
        self._interval = interval
        self._idle = idle
        self._pending: list[IssuedCall] = []
        self._changed = threading.Condition()  # guards _pending and _thread
        self._writing = threading.Lock()  # one batch at a time, in the order they were taken
        self._thread: threading.Thread | None = None

    @property
    def active(self) -> bool:
        """Whether a writer thread is running (it stops when idle)."""
        with self._changed:
            return self._thread is not None

    def submit(self, cards: Sequence[Mapping[str, Any]], issued_at: datetime) -> None:
        """Queue one answer's cards; cheap enough for the event loop."""
        if not cards:
            return
        with self._changed:
            self._pending.append((cards, issued_at))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="issued-cards-writer", daemon=True
                )
                self._thread.start()
            elif len(self._pending) == 1:
                self._changed.notify()

    def flush(self) -> None:
        """Store everything queued so far (blocking: call it off the event loop)."""
        with self._writing:
            with self._changed:
                batch, self._pending = self._pending, []
            if not batch:
                return
            try:
                self._store.issue(self._service_id, batch)
            # Any failure, not only the store's: the writer thread must outlive it (best effort,
            # as the background task was). The class name only: a message may hold data.
            except Exception as exc:
                logger.warning("could not record issued cards", extra={"error": type(exc).__name__})

    def _run(self) -> None:
        while True:
            with self._changed:
                if not self._pending:
                    self._changed.wait(self._idle)
                if not self._pending:
                    self._thread = None  # under the lock: the next submit starts a new one
                    return
            time.sleep(self._interval)  # let a batch gather
            self.flush()
