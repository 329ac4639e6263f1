"""CDS Hooks 2.0 client authentication: the Bearer JWT an EHR signs for every call.

Order matters: nothing in the token is trusted until its signature checks out against a key of
the issuer it names, and the `jti` is only spent once every other check has passed.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeGuard

import httpx
from jwt import PyJWK, PyJWS
from jwt.exceptions import InvalidTokenError, PyJWTError

from sarcoma_cds.security.base import AuthenticationError
from sarcoma_cds.security.jwks import RemoteJwksCache
from sarcoma_cds.security.key_resolver import KeyResolver
from sarcoma_cds.security.replay import ReplayStore
from sarcoma_cds.security.trusted_clients import (
    TrustedClient,
    TrustedClientsError,
    load_trusted_clients,
)
from sarcoma_cds.settings import Settings
from sarcoma_cds.values.jws import check_algorithms

MAX_TOKEN_CHARS = 16 * 1024
MAX_ID_CHARS = 256
MAX_LIFETIME_SECONDS = 300.0  # CDS Hooks 2.0 §Trusting CDS Clients: at most 5 minutes
# Unsupported JWS header extensions: a client relying on them expects semantics we do not apply.
_REFUSED_HEADERS = ("crit", "b64")


def _short(value: object) -> str:
    """An attacker-supplied value, shortened for a log message."""
    return repr(value)[:120]


def _is_time(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _bearer_token(authorization: str | None) -> str:
    if authorization is None or not authorization.strip():
        raise AuthenticationError("no Authorization header")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise AuthenticationError("Authorization header is not 'Bearer <jwt>'")
    if len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
        raise AuthenticationError("bearer token is not a compact JWS")
    return token


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        raise AuthenticationError(f"JWT {what} is not JSON") from None
    if not isinstance(value, dict):
        raise AuthenticationError(f"JWT {what} is not a JSON object")
    return value


class JwtAuthenticator:
    """Implements `Authenticator` for the JWTs CDS clients send (CDS Hooks 2.0 §Trusting CDS
    Clients); `verify` returns the verified claims or raises AuthenticationError."""

    def __init__(
        self,
        clients: Iterable[TrustedClient],
        *,
        http_client: httpx.Client | None = None,
        algorithms: Sequence[str] = ("ES384", "RS384"),
        leeway_seconds: float = 60.0,
        max_lifetime_seconds: float = MAX_LIFETIME_SECONDS,
        jwks_ttl_seconds: float = 600.0,
        jwks_min_refresh_seconds: float = 30.0,
        replay: ReplayStore | None = None,
        clock: Callable[[], float] = time.time,
        monotonic_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        trusted = tuple(clients)
        if not trusted:
            raise TrustedClientsError("no trusted clients: every request would be refused")
        self._clients = {client.iss: client for client in trusted}
        self._algorithms = frozenset(check_algorithms(algorithms))
        self._leeway = leeway_seconds
        # Bounds how long a jti must be remembered, hence the replay store's size.
        self._max_lifetime = max_lifetime_seconds
        self._clock = clock
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client()
        remote = RemoteJwksCache(
            self._http,
            ttl_seconds=jwks_ttl_seconds,
            min_refresh_seconds=jwks_min_refresh_seconds,
            clock=monotonic_clock,
        )
        self._keys = KeyResolver(trusted, remote)
        self._owns_replay = replay is None
        self._replay = replay or ReplayStore.in_memory(clock=clock)
        self._jws = PyJWS(
            algorithms=sorted(self._algorithms), options={"enforce_minimum_key_length": True}
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, http_client: httpx.Client | None = None
    ) -> JwtAuthenticator:
        if settings.trusted_clients is None:
            raise TrustedClientsError(
                "SARCOMA_CDS_TRUSTED_CLIENTS is not set (path to the trusted clients file)"
            )
        clients = load_trusted_clients(settings.trusted_clients)
        replay = ReplayStore.open(
            settings.replay_db_url or settings.feedback_db_url,
            per_issuer=settings.replay_max_per_issuer,
        )
        return cls(
            clients,
            http_client=http_client,
            algorithms=settings.jwt_algorithms,
            leeway_seconds=settings.jwt_leeway_seconds,
            max_lifetime_seconds=settings.jwt_max_lifetime_seconds,
            replay=replay,
        )

    def client(self, iss: str) -> TrustedClient | None:
        """The trusted client entry of a verified token's issuer."""
        return self._clients.get(iss)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()
        self._replay.close()

    def verify(self, authorization: str | None, audience: str) -> Mapping[str, Any]:
        token = _bearer_token(authorization)
        try:
            unverified = self._jws.decode_complete(token, options={"verify_signature": False})
        except InvalidTokenError as err:
            raise AuthenticationError(f"malformed JWT ({err.__class__.__name__})") from None
        header: dict[str, Any] = unverified["header"]
        alg, kid, jku = self._check_header(header)
        iss = _json_object(unverified["payload"], "payload").get("iss")
        client = self._clients.get(iss) if isinstance(iss, str) else None
        if client is None:
            raise AuthenticationError(f"untrusted issuer {_short(iss)}")

        jwk = self._keys.resolve(client, kid, jku)
        if jwk.get("alg", alg) != alg:
            raise AuthenticationError(f"kid {_short(kid)} is for {jwk['alg']!r}, token uses {alg}")
        try:
            key = PyJWK(jwk, algorithm=alg)
            verified = self._jws.decode_complete(token, key=key, algorithms=[alg])
        except (PyJWTError, ValueError, TypeError) as err:
            raise AuthenticationError(
                f"signature of {client.iss!r} kid {_short(kid)} not valid "
                f"({err.__class__.__name__})"
            ) from None
        claims = _json_object(verified["payload"], "payload")
        self._check_claims(claims, client, audience)
        return claims

    def _check_header(self, header: dict[str, Any]) -> tuple[str, str, str | None]:
        alg = header.get("alg")
        if alg not in self._algorithms:
            raise AuthenticationError(f"JWT alg {_short(alg)} not allowed")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid or len(kid) > MAX_ID_CHARS:
            raise AuthenticationError("JWT header has no usable kid")
        typ = header.get("typ", "JWT")
        if not isinstance(typ, str) or typ.upper() != "JWT":
            raise AuthenticationError(f"JWT typ {_short(typ)} is not 'JWT'")
        refused = [name for name in _REFUSED_HEADERS if name in header]
        if refused:
            raise AuthenticationError(f"JWT header parameters {refused} not supported")
        jku = header.get("jku")
        if jku is not None and not isinstance(jku, str):
            raise AuthenticationError("JWT jku is not a string")
        return alg, kid, jku

    def _check_claims(self, claims: dict[str, Any], client: TrustedClient, audience: str) -> None:
        aud = claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud
        if not isinstance(audiences, list) or audience not in audiences:
            raise AuthenticationError(f"aud {_short(aud)} does not name {audience!r}")
        exp = self._check_times(claims)
        tenant = claims.get("tenant")
        if tenant != client.tenant:
            # Bound to the client: a client without a configured tenant may not name one.
            raise AuthenticationError(f"tenant {_short(tenant)} is not the client's")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti or len(jti) > MAX_ID_CHARS:
            raise AuthenticationError("jti is required (a string of at most 256 characters)")
        if not self._replay.first_use(client.iss, jti, exp + self._leeway):
            raise AuthenticationError(f"jti {_short(jti)} of {client.iss!r} replayed")

    def _check_times(self, claims: dict[str, Any]) -> float:
        """exp, iat and nbf against the clock (with leeway) and the longest lifetime allowed;
        returns exp."""
        now = self._clock()
        exp, iat, nbf = claims.get("exp"), claims.get("iat"), claims.get("nbf", -math.inf)
        if not _is_time(exp) or not _is_time(iat):
            raise AuthenticationError("exp and iat are required numbers")
        if nbf != -math.inf and not _is_time(nbf):
            raise AuthenticationError("nbf is not a number")
        if now > exp + self._leeway:
            raise AuthenticationError(f"token expired {now - exp:.0f} s ago")
        if iat > now + self._leeway:
            raise AuthenticationError(f"iat is {iat - now:.0f} s in the future")
        if nbf > now + self._leeway:
            raise AuthenticationError(f"nbf is {nbf - now:.0f} s in the future")
        # CDS Hooks 2.0: "an expiration time of no longer than 5 minutes". A longer-lived or
        # older token is refused, which bounds how long its jti must be remembered.
        longest = self._max_lifetime + self._leeway
        if exp - iat > longest:
            raise AuthenticationError(
                f"token lifetime exp - iat is {exp - iat:.0f} s; at most "
                f"{self._max_lifetime:.0f} s is accepted"
            )
        if now - iat > longest:
            raise AuthenticationError(f"iat is {now - iat:.0f} s old")
        if exp - now > longest:
            raise AuthenticationError(f"exp is more than {self._max_lifetime:.0f} s ahead")
        return float(exp)
