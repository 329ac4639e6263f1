"""Loading SARCOMA_CDS_TRUSTED_CLIENTS, and building the authenticator from settings."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from pydantic import ValidationError

from sarcoma_cds.security.jwt_verifier import JwtAuthenticator
from sarcoma_cds.security.trusted_clients import TrustedClientsError, load_trusted_clients
from sarcoma_cds.settings import Settings

from .conftest import (
    AUDIENCE,
    EHR_ISS,
    EHR_JWKS_URL,
    JwksServer,
    bearer,
    claims,
    jwk_set,
    public_jwk,
    sign,
)


def write(tmp_path: Path, name: str, document: Any) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document) if name.endswith((".yaml", ".yml")) else document)
    return path


def test_valid_yaml_with_every_key_source(
    tmp_path: Path, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "epic.json").write_text(json.dumps(jwk_set(public_jwk(ec_key, "e1"))))
    path = write(
        tmp_path,
        "clients.yaml",
        [
            {"iss": EHR_ISS, "jwks_uri": EHR_JWKS_URL, "tenant": "hospital-a"},
            {"iss": "https://epic.example.org", "jwks_file": "keys/epic.json"},
            {"iss": "https://inline.example.org", "jwks": jwk_set(public_jwk(ec_key, "i1"))},
            {
                "iss": "https://sandbox.cds-hooks.org",
                "jku_allowlist": ["https://sandbox.cds-hooks.org/.well-known/jwks.json"],
            },
        ],
    )
    clients = load_trusted_clients(path)
    assert [client.iss for client in clients] == [
        EHR_ISS,
        "https://epic.example.org",
        "https://inline.example.org",
        "https://sandbox.cds-hooks.org",
    ]
    assert clients[0].tenant == "hospital-a"
    assert clients[1].jwks_file == tmp_path / "keys" / "epic.json"  # relative to the file
    assert clients[3].jku_allowlist == ("https://sandbox.cds-hooks.org/.well-known/jwks.json",)


def test_valid_json(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "clients.json",
        json.dumps([{"iss": EHR_ISS, "jku_allowlist": ["http://localhost:8000/jwks.json"]}]),
    )
    (client,) = load_trusted_clients(path)
    assert client.iss == EHR_ISS
    assert client.jku_allowlist == ("http://localhost:8000/jwks.json",)
    assert (client.jwks, client.jwks_uri, client.tenant) == (None, None, None)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"iss": EHR_ISS}, "expected a list of clients"),
        ([], "the list is empty"),
        ([{"jwks_uri": EHR_JWKS_URL}], "entry 1: iss: Field required"),
        (
            [{"iss": EHR_ISS, "jwks_uri": EHR_JWKS_URL, "secret": "x"}],
            f"entry 1 \\(iss '{EHR_ISS}'\\): secret: Extra inputs are not permitted",
        ),
        ([{"iss": EHR_ISS}], "no keys: give one of jwks, jwks_uri, jwks_file or a jku_allowlist"),
        (
            [{"iss": EHR_ISS, "jwks_uri": EHR_JWKS_URL, "jwks_file": "k.json"}],
            "give only one of jwks, jwks_uri, jwks_file",
        ),
        (
            [{"iss": EHR_ISS, "jwks_uri": "http://ehr.example.org/jwks.json"}],
            "jwks_uri: Value error, 'http://ehr.example.org/jwks.json' must be an https:// URL",
        ),
        ([{"iss": EHR_ISS, "jku_allowlist": ["/jwks.json"]}], "is not an absolute URL"),
        (
            [{"iss": EHR_ISS, "jwks_uri": EHR_JWKS_URL}] * 2,
            f"iss '{EHR_ISS}' repeated",
        ),
        ([{"iss": EHR_ISS, "jwks": {"kty": "EC"}}], "not a JWK Set"),
        (
            [{"iss": EHR_ISS, "jwks": {"keys": [{"kty": "oct", "kid": "s", "k": "c2VjcmV0"}]}}],
            "kty 'oct' is not EC or RSA",
        ),
        (
            [{"iss": EHR_ISS, "jwks": {"keys": [{"kty": "EC", "kid": "k", "crv": "P-384"}]}}],
            "key kid 'k': not a valid public key",
        ),
        (
            [{"iss": "ok", "jwks_uri": EHR_JWKS_URL}, {"iss": EHR_ISS, "tenant": ""}],
            f"entry 2 \\(iss '{EHR_ISS}'\\): tenant: String should have at least 1 character",
        ),
    ],
)
def test_invalid_yaml_is_rejected_with_a_clear_message(
    tmp_path: Path, document: Any, message: str
) -> None:
    path = write(tmp_path, "clients.yaml", document)
    with pytest.raises(TrustedClientsError, match=message) as caught:
        load_trusted_clients(path)
    assert str(path) in str(caught.value)


def test_private_key_material_is_refused(
    tmp_path: Path, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    private_jwk = {**ECAlgorithm.to_jwk(ec_key, as_dict=True), "kid": "oops"}
    path = write(tmp_path, "clients.yaml", [{"iss": EHR_ISS, "jwks": jwk_set(private_jwk)}])
    with pytest.raises(TrustedClientsError, match="holds private key material \\(kid 'oops'\\)"):
        load_trusted_clients(path)


def test_broken_syntax_missing_file_and_bad_jwks_file_are_named(tmp_path: Path) -> None:
    broken = write(tmp_path, "broken.json", '[{"iss": ')
    with pytest.raises(TrustedClientsError, match=r"broken\.json: not valid YAML/JSON"):
        load_trusted_clients(broken)
    with pytest.raises(TrustedClientsError, match=r"absent\.yaml: cannot be read"):
        load_trusted_clients(tmp_path / "absent.yaml")
    missing_keys = write(tmp_path, "c.yaml", [{"iss": EHR_ISS, "jwks_file": "nope.json"}])
    with pytest.raises(TrustedClientsError, match=r"c\.yaml: iss .*: jwks_file .*nope\.json"):
        load_trusted_clients(missing_keys)


@pytest.mark.parametrize("algorithms", [["HS256"], ["none"], ["ES384", "HS512"], []])
def test_settings_refuse_symmetric_or_no_algorithms(algorithms: list[str]) -> None:
    with pytest.raises(ValidationError, match="jwt_algorithms"):
        Settings(jwt_algorithms=algorithms)


def test_settings_allow_other_asymmetric_algorithms() -> None:
    assert Settings(jwt_algorithms=["ES256", "PS384"]).jwt_algorithms == ["ES256", "PS384"]


def test_from_settings_builds_a_working_authenticator(
    tmp_path: Path, ec_key: ec.EllipticCurvePrivateKey, jwks_server: JwksServer
) -> None:
    jwks_server.sets[EHR_JWKS_URL] = jwk_set(public_jwk(ec_key, "ehr-key-1"))
    path = write(tmp_path, "clients.yaml", [{"iss": EHR_ISS, "jwks_uri": EHR_JWKS_URL}])
    settings = Settings(trusted_clients=path, jwt_leeway_seconds=0, jwt_algorithms=["ES384"])
    authenticator = JwtAuthenticator.from_settings(settings, http_client=jwks_server.client())
    now = time.time()
    token = sign(ec_key, claims(iat=now - 1, exp=now + 120))
    assert authenticator.verify(bearer(token), AUDIENCE)["iss"] == EHR_ISS


def test_from_settings_without_trusted_clients_says_which_setting() -> None:
    with pytest.raises(TrustedClientsError, match="SARCOMA_CDS_TRUSTED_CLIENTS is not set"):
        JwtAuthenticator.from_settings(Settings(trusted_clients=None))
