"""Real key pairs, token signing and a JWKS server on httpx.MockTransport (no network)."""

from __future__ import annotations

import base64
import json
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

NOW = 1_750_000_000.0
AUDIENCE = "https://cds.example.org/cds-services/sarcoma-liver-metastases"
EHR_ISS = "https://ehr.example.org"
EHR_JWKS_URL = "https://ehr.example.org/.well-known/jwks.json"

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def public_jwk(private_key: PrivateKey, kid: str, **extra: str) -> dict[str, Any]:
    public = private_key.public_key()
    if isinstance(public, ec.EllipticCurvePublicKey):
        jwk = ECAlgorithm.to_jwk(public, as_dict=True)
    else:
        jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
    return {**jwk, "kid": kid, "use": "sig", **extra}


def jwk_set(*keys: dict[str, Any]) -> dict[str, Any]:
    return {"keys": list(keys)}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(**overrides: Any) -> dict[str, Any]:
    """Claims a well-behaved EHR sends; None removes a claim."""
    base: dict[str, Any] = {
        "iss": EHR_ISS,
        "aud": AUDIENCE,
        "iat": NOW,
        "exp": NOW + 300,
        "jti": str(uuid.uuid4()),
    }
    base.update(overrides)
    return {name: value for name, value in base.items() if value is not None}


def sign(
    private_key: PrivateKey,
    payload: dict[str, Any],
    *,
    alg: str = "ES384",
    kid: str | None = "ehr-key-1",
    **header: Any,
) -> str:
    headers: dict[str, Any] = {"typ": "JWT", **header}
    if kid is not None:
        headers["kid"] = kid
    return jwt.encode(payload, private_key, algorithm=alg, headers=headers)


def bearer(token: str) -> str:
    return f"Bearer {token}"


@pytest.fixture(scope="session")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


@pytest.fixture(scope="session")
def other_ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeClock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@dataclass
class JwksServer:
    """Serves JWK Sets by URL and counts the fetches."""

    sets: dict[str, Any] = field(default_factory=dict)
    fetches: Counter[str] = field(default_factory=Counter)
    status: int = 200

    def handler(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        self.fetches[url] += 1
        if url not in self.sets or self.status != 200:
            return httpx.Response(self.status if self.status != 200 else 404)
        return httpx.Response(200, content=json.dumps(self.sets[url]).encode())

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handler))


@pytest.fixture
def jwks_server() -> JwksServer:
    return JwksServer()


SignFn = Callable[..., str]
