"""Finding the public key a trusted client signed with, from the JWT header's `kid` and `jku`."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sarcoma_cds.security.base import AuthenticationError
from sarcoma_cds.security.jwks import Jwk, RemoteJwksCache, parse_jwk_set
from sarcoma_cds.security.trusted_clients import TrustedClient, load_jwks_file

logger = logging.getLogger(__name__)


class KeyResolver:
    def __init__(self, clients: Iterable[TrustedClient], remote: RemoteJwksCache) -> None:
        self._remote = remote
        # Inline and file JWK Sets are read once, at start-up, so a bad one stops the service.
        self._static: dict[str, dict[str, Jwk]] = {}
        for client in clients:
            if client.jwks is not None:
                self._static[client.iss] = parse_jwk_set(
                    client.jwks, source=f"jwks of {client.iss}", strict=True
                )
            elif client.jwks_file is not None:
                self._static[client.iss] = load_jwks_file(client.jwks_file)

    def resolve(self, client: TrustedClient, kid: str, jku: str | None) -> Jwk:
        """The client's key `kid`. A `jku` is fetched only when exactly on the client's
        allowlist; any other `jku` is ignored when the client's keys are configured (`jwks`,
        `jwks_file`, `jwks_uri`: the CDS Hooks sandbox always sends its public jku), and
        refused when they are not."""
        if jku is not None and jku in client.jku_allowlist:
            jwk = self._remote.find(jku, kid)
        elif client.iss in self._static or client.jwks_uri is not None:
            if jku is not None:
                logger.info(
                    "jku not on the allowlist ignored; verifying with the configured keys",
                    extra={"iss": client.iss[:200]},
                )
            if client.jwks_uri is not None:
                jwk = self._remote.find(client.jwks_uri, kid)
            else:
                jwk = self._static[client.iss].get(kid)
        elif jku is not None:
            raise AuthenticationError(
                f"jku {jku[:200]!r} is not on the allowlist of {client.iss!r} "
                "and no keys are configured for it"
            )
        else:
            raise AuthenticationError(f"no jku header and no configured keys for {client.iss!r}")
        if jwk is None:
            raise AuthenticationError(f"unknown kid {kid[:100]!r} for {client.iss!r}")
        return jwk
