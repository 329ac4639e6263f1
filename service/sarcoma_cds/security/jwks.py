"""JSON Web Key Sets: validating them, and fetching them by URL through a rate-limited cache."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from jwt import PyJWK
from jwt.exceptions import PyJWTError

from sarcoma_cds.values.jws import ASYMMETRIC_ALGORITHMS

logger = logging.getLogger(__name__)

Jwk = dict[str, Any]

# Members that only a private JWK has (RFC 7518 §6.2.2, §6.3.2): a JWK Set we verify with
# must never carry them.
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth"})
_KEY_TYPES = frozenset({"EC", "RSA"})
MAX_JWKS_BYTES = 64 * 1024


class JwksError(Exception):
    """A JWK Set could not be fetched or is not a usable set of public signing keys."""


def _unusable_reason(jwk: object) -> str | None:
    if not isinstance(jwk, dict):
        return "is not a JSON object"
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not kid:
        return "has no kid"
    if jwk.get("kty") not in _KEY_TYPES:
        return f"kid {kid!r}: kty {jwk.get('kty')!r} is not EC or RSA"
    if jwk.get("use", "sig") != "sig":
        return f"kid {kid!r}: use {jwk.get('use')!r} is not 'sig'"
    if "alg" in jwk and jwk["alg"] not in ASYMMETRIC_ALGORITHMS:
        return f"kid {kid!r}: alg {jwk['alg']!r} is not an asymmetric signing algorithm"
    try:
        PyJWK(jwk)
    except (PyJWTError, ValueError, TypeError) as err:
        return f"kid {kid!r}: not a valid public key ({err.__class__.__name__})"
    return None


def parse_jwk_set(data: object, *, source: str, strict: bool) -> dict[str, Jwk]:
    """The public signing keys of a JWK Set by kid.

    A set holding private key material, or the same kid twice, is refused outright. Otherwise
    keys we cannot use (wrong type, no kid, encryption keys) are an error when `strict` (our own
    configuration) and skipped when not (a client's published set may hold other keys)."""
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise JwksError(f"{source}: not a JWK Set (expected an object with a 'keys' list)")
    keys: dict[str, Jwk] = {}
    for jwk in data["keys"]:
        if isinstance(jwk, dict) and _PRIVATE_MEMBERS & jwk.keys():
            raise JwksError(f"{source}: holds private key material (kid {jwk.get('kid')!r})")
        reason = _unusable_reason(jwk)
        if reason is not None:
            if strict:
                raise JwksError(f"{source}: key {reason}")
            logger.info("jwks key skipped", extra={"jwks_source": source, "reason": reason})
            continue
        assert isinstance(jwk, dict)
        if jwk["kid"] in keys:
            raise JwksError(f"{source}: kid {jwk['kid']!r} appears twice")
        keys[jwk["kid"]] = jwk
    if strict and not keys:
        raise JwksError(f"{source}: holds no keys")
    return keys


@dataclass
class _Entry:
    lock: threading.Lock = field(default_factory=threading.Lock)
    keys: dict[str, Jwk] = field(default_factory=dict)
    fetched_at: float | None = None  # last successful fetch (monotonic clock)
    attempted_at: float | None = None  # last fetch attempt, successful or not


class RemoteJwksCache:
    """JWK Sets fetched by URL, cached for `ttl_seconds`.

    An unknown kid triggers one refetch (the client may have rotated its keys), but never more
    than one fetch per URL per `min_refresh_seconds`, so forged kids cannot make us hammer the
    client's server. Stale keys are not used when a refresh fails: we fail closed."""

    def __init__(
        self,
        http_client: httpx.Client,
        *,
        ttl_seconds: float = 600.0,
        min_refresh_seconds: float = 30.0,
        timeout_seconds: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http_client
        self._ttl = ttl_seconds
        self._min_refresh = min_refresh_seconds
        self._timeout = timeout_seconds
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._entries_lock = threading.Lock()

    def find(self, url: str, kid: str) -> Jwk | None:
        """The key `kid` of the JWK Set at `url`, fetching or refreshing the set if needed."""
        with self._entries_lock:
            entry = self._entries.setdefault(url, _Entry())
        with entry.lock:
            now = self._clock()
            fresh = entry.fetched_at is not None and now - entry.fetched_at < self._ttl
            if fresh and kid in entry.keys:
                return entry.keys[kid]
            recently_tried = (
                entry.attempted_at is not None and now - entry.attempted_at < self._min_refresh
            )
            if not recently_tried:
                entry.attempted_at = now
                try:
                    entry.keys = self._fetch(url)
                    entry.fetched_at = now
                    fresh = True
                except JwksError as err:
                    logger.warning("jwks fetch failed", extra={"jwks_url": url, "error": str(err)})
            return entry.keys.get(kid) if fresh else None

    def _fetch(self, url: str) -> dict[str, Jwk]:
        try:
            # No redirects: the URL was vetted (configured or allowlisted); where it points is not.
            with self._http.stream(
                "GET",
                url,
                headers={"Accept": "application/json"},
                timeout=self._timeout,
                follow_redirects=False,
            ) as response:
                if response.status_code != 200:
                    raise JwksError(f"{url}: HTTP {response.status_code}")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_JWKS_BYTES:
                        raise JwksError(f"{url}: larger than {MAX_JWKS_BYTES} bytes")
        except httpx.HTTPError as err:
            raise JwksError(f"{url}: {err.__class__.__name__}") from None
        try:
            data = json.loads(body)
        except ValueError:
            raise JwksError(f"{url}: not JSON") from None
        return parse_jwk_set(data, source=url, strict=False)
