"""Server-side sessions of the tumour-board view.

The browser holds only an opaque, signed session id (itsdangerous) in an HttpOnly, SameSite=Lax
cookie; the PKCE verifier, the state and the access token stay in this process's memory and
expire with the token. A session id is replaced when the launch completes (no fixation).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from itsdangerous import BadSignature, Signer

COOKIE = "sarcoma_cds_app"
LAUNCH_SECONDS = 600  # time allowed between the launch and the callback
MAX_SESSIONS = 10_000  # bound the memory a flood of launches can take


@dataclass(frozen=True)
class PendingLaunch:
    iss: str
    state: str
    verifier: str
    token_endpoint: str
    redirect_uri: str
    expires_at: float


@dataclass(frozen=True)
class AppSession:
    iss: str
    access_token: str
    patient_id: str
    expires_at: float

    def __repr__(self) -> str:  # never print the token, even in a traceback
        return f"AppSession(iss={self.iss!r}, expires_at={self.expires_at})"


Entry = PendingLaunch | AppSession


class SessionStore:
    def __init__(
        self, secret: bytes, max_seconds: int, clock: Callable[[], float] = time.time
    ) -> None:
        self._signer = Signer(secret, salt="sarcoma-cds.smart-session")
        self._max_seconds = max_seconds
        self._clock = clock
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._clock()

    def start_launch(
        self, iss: str, state: str, verifier: str, token_endpoint: str, redirect_uri: str
    ) -> str:
        """Remember a launch; return the cookie value naming it."""
        launch = PendingLaunch(
            iss, state, verifier, token_endpoint, redirect_uri, self.now() + LAUNCH_SECONDS
        )
        return self._put(launch)

    def take_launch(self, cookie: str | None) -> PendingLaunch | None:
        """The pending launch the cookie names, removed: a state is good for one callback."""
        sid = self._unsign(cookie)
        with self._lock:
            entry = self._entries.pop(sid, None) if sid else None
        if isinstance(entry, PendingLaunch) and entry.expires_at > self.now():
            return entry
        return None

    def open_session(
        self, iss: str, access_token: str, patient_id: str, expires_in: int | None
    ) -> str:
        lifetime = min(expires_in or self._max_seconds, self._max_seconds)
        return self._put(AppSession(iss, access_token, patient_id, self.now() + lifetime))

    def session(self, cookie: str | None) -> AppSession | None:
        """The live session the cookie names; an expired one is forgotten."""
        sid = self._unsign(cookie)
        if sid is None:
            return None
        with self._lock:
            entry = self._entries.get(sid)
            if isinstance(entry, AppSession) and entry.expires_at <= self.now():
                del self._entries[sid]
                return None
        return entry if isinstance(entry, AppSession) else None

    def _put(self, entry: Entry) -> str:
        sid = secrets.token_urlsafe(32)
        now = self.now()
        with self._lock:
            for key in [k for k, e in self._entries.items() if e.expires_at <= now]:
                del self._entries[key]
            while len(self._entries) >= MAX_SESSIONS:
                self._entries.popitem(last=False)
            self._entries[sid] = entry
        return self._signer.sign(sid).decode()

    def _unsign(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            return self._signer.unsign(cookie).decode()
        except (BadSignature, UnicodeDecodeError):
            return None
