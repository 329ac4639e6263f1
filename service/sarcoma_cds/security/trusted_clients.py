"""The CDS clients this service trusts, loaded from SARCOMA_CDS_TRUSTED_CLIENTS (YAML or JSON).

Each entry names an issuer (`iss`) and where its public keys come from: an inline JWK Set
(`jwks`), a JWK Set file (`jwks_file`, relative to the trusted clients file), a URL (`jwks_uri`),
and/or the `jku` URLs the client may point to in its JWT header (`jku_allowlist`, exact match).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from sarcoma_cds.security.jwks import JwksError, parse_jwk_set

_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class TrustedClientsError(ValueError):
    """The trusted clients configuration cannot be used; the message names the file and problem."""


def _check_key_url(url: str) -> str:
    """Keys decide who is trusted, so they are fetched over https (plain http only on loopback)."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"{url!r} is not an absolute URL")
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS):
        return url
    raise ValueError(f"{url!r} must be an https:// URL (http:// only for localhost)")


class TrustedClient(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    iss: str = Field(min_length=1)
    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = None
    jwks_file: Path | None = None
    jku_allowlist: tuple[str, ...] = ()
    tenant: str | None = Field(default=None, min_length=1)
    # The FHIR base URLs of this client's EHR: the `iss` values that may launch the SMART app.
    fhir_servers: tuple[str, ...] = ()

    @field_validator("jwks_uri")
    @classmethod
    def _jwks_uri_is_https(cls, value: str | None) -> str | None:
        return None if value is None else _check_key_url(value)

    @field_validator("jku_allowlist")
    @classmethod
    def _jku_urls_are_https(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_key_url(url) for url in value)

    @field_validator("fhir_servers")
    @classmethod
    def _fhir_servers_are_https(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_key_url(url).rstrip("/") for url in value)

    @field_validator("jwks")
    @classmethod
    def _jwks_is_a_public_jwk_set(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            try:
                parse_jwk_set(value, source="inline jwks", strict=True)
            except JwksError as err:
                raise ValueError(str(err)) from None
        return value

    @model_validator(mode="after")
    def _one_key_source(self) -> TrustedClient:
        sources = [name for name in ("jwks", "jwks_uri", "jwks_file") if getattr(self, name)]
        if len(sources) > 1:
            raise ValueError(f"give only one of jwks, jwks_uri, jwks_file (got {sources})")
        if not sources and not self.jku_allowlist:
            raise ValueError("no keys: give one of jwks, jwks_uri, jwks_file or a jku_allowlist")
        return self


_CLIENT_LIST = TypeAdapter(list[TrustedClient])


def _read_document(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise TrustedClientsError(f"trusted clients file {path}: cannot be read: {err}") from None
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)  # YAML is a superset of JSON
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        raise TrustedClientsError(
            f"trusted clients file {path}: not valid YAML/JSON: {err}"
        ) from None


def _describe(errors: Sequence[Any], document: list[Any]) -> str:
    problems = []
    for error in errors:
        loc = list(error["loc"])
        where = ""
        if loc and isinstance(loc[0], int):
            index = loc.pop(0)
            entry = document[index]
            iss = entry.get("iss") if isinstance(entry, dict) else None
            where = f"entry {index + 1}" + (f" (iss {iss!r})" if isinstance(iss, str) else "")
        field = ".".join(str(part) for part in loc)
        problems.append(": ".join(part for part in (where, field, error["msg"]) if part))
    return "; ".join(problems)


def load_trusted_clients(path: Path) -> tuple[TrustedClient, ...]:
    """Load and validate the trusted clients file; raise TrustedClientsError naming the problem."""
    document = _read_document(path)
    if not isinstance(document, list):
        raise TrustedClientsError(
            f"trusted clients file {path}: expected a list of clients "
            f"({{iss, jwks | jwks_uri | jwks_file, jku_allowlist, tenant}}), "
            f"got {type(document).__name__}"
        )
    if not document:
        raise TrustedClientsError(f"trusted clients file {path}: the list is empty")
    try:
        clients = _CLIENT_LIST.validate_python(document)
    except ValidationError as err:
        raise TrustedClientsError(
            f"trusted clients file {path}: {_describe(err.errors(), document)}"
        ) from None

    seen: set[str] = set()
    resolved = []
    for client in clients:
        if client.iss in seen:
            raise TrustedClientsError(f"trusted clients file {path}: iss {client.iss!r} repeated")
        seen.add(client.iss)
        if client.jwks_file is not None:
            jwks_file = client.jwks_file
            if not jwks_file.is_absolute():
                jwks_file = (path.parent / jwks_file).resolve()
            try:
                load_jwks_file(jwks_file)
            except JwksError as err:
                raise TrustedClientsError(
                    f"trusted clients file {path}: iss {client.iss!r}: {err}"
                ) from None
            client = client.model_copy(update={"jwks_file": jwks_file})
        resolved.append(client)
    return tuple(resolved)


def load_jwks_file(path: Path) -> dict[str, dict[str, Any]]:
    """The keys of a JWK Set file by kid; raise JwksError naming the file and the problem."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise JwksError(f"jwks_file {path}: cannot be read as JSON: {err}") from None
    return parse_jwk_set(data, source=f"jwks_file {path}", strict=True)
