"""Finding the public key a trusted client signed with, from the JWT header's `kid` and `jku`."""

from __future__ import annotations

from collections.abc import Iterable

from sarcoma_cds.security.base import AuthenticationError
from sarcoma_cds.security.jwks import Jwk, RemoteJwksCache, parse_jwk_set
from sarcoma_cds.security.trusted_clients import TrustedClient, load_jwks_file


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
        """The client's key `kid`; a `jku` is followed only when exactly on its allowlist."""
        if jku is not None:
            if jku not in client.jku_allowlist:
                raise AuthenticationError(
                    f"jku {jku[:200]!r} is not on the allowlist of {client.iss!r}"
                )
            jwk = self._remote.find(jku, kid)
        elif client.iss in self._static:
            jwk = self._static[client.iss].get(kid)
        elif client.jwks_uri is not None:
            jwk = self._remote.find(client.jwks_uri, kid)
        else:
            raise AuthenticationError(f"no jku header and no configured keys for {client.iss!r}")
        if jwk is None:
            raise AuthenticationError(f"unknown kid {kid[:100]!r} for {client.iss!r}")
        return jwk
