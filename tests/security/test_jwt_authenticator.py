"""JwtAuthenticator: one accepted request per key type and source, one test per rejection reason."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from sarcoma_cds.security.base import AuthenticationError
from sarcoma_cds.security.jwt_verifier import JwtAuthenticator
from sarcoma_cds.security.trusted_clients import TrustedClient

from .conftest import (
    AUDIENCE,
    EHR_ISS,
    EHR_JWKS_URL,
    NOW,
    FakeClock,
    JwksServer,
    b64url,
    bearer,
    claims,
    jwk_set,
    public_jwk,
    sign,
)

KID = "ehr-key-1"


@pytest.fixture
def monotonic() -> FakeClock:
    return FakeClock(5000.0)


def make_authenticator(
    *clients: TrustedClient,
    server: JwksServer | None = None,
    monotonic: FakeClock | None = None,
    **options: Any,
) -> JwtAuthenticator:
    return JwtAuthenticator(
        clients,
        http_client=(server or JwksServer()).client(),
        clock=FakeClock(NOW),
        monotonic_clock=monotonic or FakeClock(0.0),
        **options,
    )


@pytest.fixture
def ehr(ec_key: ec.EllipticCurvePrivateKey) -> Iterator[JwtAuthenticator]:
    """An EHR trusted with its ES384 key given inline."""
    authenticator = make_authenticator(
        TrustedClient(iss=EHR_ISS, jwks=jwk_set(public_jwk(ec_key, KID)))
    )
    yield authenticator
    authenticator.close()


def rejected(authenticator: JwtAuthenticator, token: str, reason: str) -> None:
    """Assert the token is refused for `reason`, and that the error never echoes the token."""
    with pytest.raises(AuthenticationError, match=reason) as caught:
        authenticator.verify(bearer(token), AUDIENCE)
    assert token not in str(caught.value)
    assert token.split(".")[1] not in str(caught.value)


# Accepted ------------------------------------------------------------------------------------


@pytest.mark.cds_hooks(176, 199)
def test_es384_token_from_inline_jwks_is_accepted(
    ehr: JwtAuthenticator, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    payload = claims(sub="ehr-client-42")
    verified = ehr.verify(bearer(sign(ec_key, payload)), AUDIENCE)
    assert verified == payload


@pytest.mark.cds_hooks(176, 199)
def test_rs384_token_from_jwks_file_is_accepted(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    jwks_file = tmp_path / "ehr-jwks.json"
    jwks_file.write_text(json.dumps(jwk_set(public_jwk(rsa_key, "rsa-1", alg="RS384"))))
    authenticator = make_authenticator(TrustedClient(iss=EHR_ISS, jwks_file=jwks_file))
    payload = claims()
    token = sign(rsa_key, payload, alg="RS384", kid="rsa-1")
    assert authenticator.verify(f"bearer  {token} ", AUDIENCE)["jti"] == payload["jti"]


def test_aud_array_containing_the_endpoint_is_accepted(
    ehr: JwtAuthenticator, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    token = sign(ec_key, claims(aud=["https://other.example.org", AUDIENCE]))
    assert AUDIENCE in ehr.verify(bearer(token), AUDIENCE)["aud"]


@pytest.mark.parametrize("seconds_ahead", [0.5, 59])
def test_iat_slightly_in_the_future_is_accepted_within_leeway(
    ehr: JwtAuthenticator, ec_key: ec.EllipticCurvePrivateKey, seconds_ahead: float
) -> None:
    token = sign(ec_key, claims(iat=NOW + seconds_ahead))
    assert ehr.verify(bearer(token), AUDIENCE)["iat"] == NOW + seconds_ahead


def test_expired_within_leeway_and_past_nbf_are_accepted(
    ehr: JwtAuthenticator, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    token = sign(ec_key, claims(iat=NOW - 330, exp=NOW - 30, nbf=NOW + 30))
    assert ehr.verify(bearer(token), AUDIENCE)["nbf"] == NOW + 30


def test_matching_tenant_is_accepted(ec_key: ec.EllipticCurvePrivateKey) -> None:
    authenticator = make_authenticator(
        TrustedClient(iss=EHR_ISS, jwks=jwk_set(public_jwk(ec_key, KID)), tenant="hospital-a")
    )
    token = sign(ec_key, claims(tenant="hospital-a"))
    assert authenticator.verify(bearer(token), AUDIENCE)["tenant"] == "hospital-a"


@pytest.mark.cds_hooks(195)
def test_jku_on_the_allowlist_is_fetched_and_accepted(
    ec_key: ec.EllipticCurvePrivateKey, jwks_server: JwksServer
) -> None:
    jwks_server.sets[EHR_JWKS_URL] = jwk_set(public_jwk(ec_key, KID))
    authenticator = make_authenticator(
        TrustedClient(iss=EHR_ISS, jku_allowlist=(EHR_JWKS_URL,)), server=jwks_server
    )
    token = sign(ec_key, claims(), jku=EHR_JWKS_URL)
    assert authenticator.verify(bearer(token), AUDIENCE)["iss"] == EHR_ISS
    assert jwks_server.fetches[EHR_JWKS_URL] == 1


@pytest.mark.cds_hooks(176, 205)
def test_request_signed_like_the_public_cds_hooks_sandbox_is_accepted(
    ec_key: ec.EllipticCurvePrivateKey, jwks_server: JwksServer
) -> None:
    sandbox_iss = "https://sandbox.cds-hooks.org"
    sandbox_jku = "https://sandbox.cds-hooks.org/.well-known/jwks.json"
    sandbox_kid = "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f"
    jwks_server.sets[sandbox_jku] = jwk_set(public_jwk(ec_key, sandbox_kid, alg="ES384"))
    authenticator = make_authenticator(
        TrustedClient(iss=sandbox_iss, jku_allowlist=(sandbox_jku,)), server=jwks_server
    )
    # As the sandbox's generateJWT: iat = Math.round(now) (may round up), exp = iat + 300.
    payload = {
        "iss": sandbox_iss,
        "aud": AUDIENCE,
        "exp": round(NOW + 0.5) + 300,
        "iat": round(NOW + 0.5),
        "jti": "b59df628-9dc1-41e7-a301-8a891fd03fbd",
    }
    token = sign(ec_key, payload, alg="ES384", kid=sandbox_kid, jku=sandbox_jku)
    assert authenticator.verify(bearer(token), AUDIENCE) == payload


# Rejected: the header and the signature ---------------------------------------------------------


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (None, "no Authorization header"),
        ("", "no Authorization header"),
        ("Basic dXNlcjpwYXNz", "not 'Bearer <jwt>'"),
        ("Bearer", "not 'Bearer <jwt>'"),
        ("Bearer a.b c", "not 'Bearer <jwt>'"),
        ("Bearer only.two", "not a compact JWS"),
        ("Bearer " + "a" * 20_000 + ".b.c", "not a compact JWS"),
        ("Bearer !!!.???.***", "malformed JWT"),
        ("Bearer " + b64url(b"[1]") + ".e30.sig", "malformed JWT"),
    ],
)
def test_missing_or_malformed_authorization_is_rejected(
    ehr: JwtAuthenticator, authorization: str | None, reason: str
) -> None:
    with pytest.raises(AuthenticationError, match=reason):
        ehr.verify(authorization, AUDIENCE)


def test_bad_signature_is_rejected(
    ehr: JwtAuthenticator, other_ec_key: ec.EllipticCurvePrivateKey
) -> None:
    rejected(ehr, sign(other_ec_key, claims()), "signature .* not valid")


def test_tampered_payload_is_rejected(
    ehr: JwtAuthenticator, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    header, _, signature = sign(ec_key, claims()).split(".")
    forged = b64url(json.dumps(claims(sub="someone-else")).encode())
    rejected(ehr, f"{header}.{forged}.{signature}", "signature .* not valid")


def test_wrong_algorithm_is_rejected(rsa_key: rsa.RSAPrivateKey) -> None:
    authenticator = make_authenticator(
        TrustedClient(iss=EHR_ISS, jwks=jwk_set(public_jwk(rsa_key, KID)))
    )
    rejected(authenticator, sign(rsa_key, claims(), alg="RS256"), "alg 'RS256' not allowed")


@pytest.mark.cds_hooks(201)
def test_alg_none_is_rejected(ehr: JwtAuthenticator) -> None:
    header = b64url(json.dumps({"alg": "none", "typ": "JWT", "kid": KID}).encode())
    token = f"{header}.{b64url(json.dumps(claims()).encode())}."
    rejected(ehr, token, "alg 'none' not allowed")


@pytest.mark.cds_hooks(203)
def test_hs256_signed_with_the_public_key_as_secret_is_rejected(
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    authenticator = make_authenticator(
        TrustedClient(iss=EHR_ISS, jwks=jwk_set(public_jwk(ec_key, KID)))
    )
    public_pem = ec_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": KID}).encode())
    body = b64url(json.dumps(claims()).encode())
    mac = hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
    rejected(authenticator, f"{header}.{body}.{b64url(mac)}", "alg 'HS256' not allowed")


def test_key_of_another_algorithm_is_not_used(ec_key: ec.EllipticCurvePrivateKey) -> None:
    # The JWKS pins its key to ES256; a token claiming ES384 with that kid must not verify.
    authenticator = make_authenticator(
        TrustedClient(iss=EHR_ISS, jwks=jwk_set(public_jwk(ec_key, KID, alg="ES256")))
    )
    rejected(authenticator, sign(ec_key, claims()), "is for 'ES256', token uses ES384")


def test_kid_of_another_key_type_is_rejected(
    ec_key: ec.EllipticCurvePrivateKey, rsa_key: rsa.RSAPrivateKey
) -> None:
    authenticator = make_authenticator(
        TrustedClient(iss=EHR_ISS, jwks=jwk_set(public_jwk(rsa_key, "rsa-1")))
    )
    rejected(authenticator, sign(ec_key, claims(), kid="rsa-1"), "not valid \\(InvalidKeyError\\)")


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # signing it
def test_rsa_key_shorter_than_2048_bits_is_rejected() -> None:
    weak_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    authenticator = make_authenticator(
        TrustedClient(iss=EHR_ISS, jwks=jwk_set(public_jwk(weak_key, KID)))
    )
    token = sign(weak_key, claims(), alg="RS384")
    rejected(authenticator, token, "not valid \\(InvalidKeyError\\)")


def test_missing_kid_is_rejected(ehr: JwtAuthenticator, ec_key: ec.EllipticCurvePrivateKey) -> None:
    rejected(ehr, sign(ec_key, claims(), kid=None), "no usable kid")


def test_unknown_kid_is_rejected(ehr: JwtAuthenticator, ec_key: ec.EllipticCurvePrivateKey) -> None:
    rejected(ehr, sign(ec_key, claims(), kid="retired-key"), "unknown kid 'retired-key'")


def test_typ_other_than_jwt_is_rejected(
    ehr: JwtAuthenticator, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    rejected(ehr, sign(ec_key, claims(), typ="at+jwt"), "typ 'at\\+jwt' is not 'JWT'")


def test_critical_header_extensions_are_rejected(
    ehr: JwtAuthenticator, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    rejected(ehr, sign(ec_key, claims(), crit=["urn:example:policy"]), "malformed|not supported")
    rejected(ehr, sign(ec_key, claims(), crit=["b64"], b64=True), "malformed|not supported")


# Rejected: the claims --------------------------------------------------------------------------


def test_unknown_issuer_is_rejected(
    ehr: JwtAuthenticator, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    rejected(ehr, sign(ec_key, claims(iss="https://evil.example")), "untrusted issuer")


def test_expired_token_is_rejected(
    ehr: JwtAuthenticator, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    rejected(ehr, sign(ec_key, claims(iat=NOW - 400, exp=NOW - 61)), "token expired 61 s ago")


def test_iat_in_the_future_beyond_leeway_is_rejected(
    ehr: JwtAuthenticator, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    rejected(ehr, sign(ec_key, claims(iat=NOW + 61)), "iat is 61 s in the future")


def test_nbf_in_the_future_beyond_leeway_is_rejected(
    ehr: JwtAuthenticator, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    rejected(ehr, sign(ec_key, claims(nbf=NOW + 120)), "nbf is 120 s in the future")


@pytest.mark.parametrize("missing", ["exp", "iat"])
def test_missing_exp_or_iat_is_rejected(
    ehr: JwtAuthenticator, ec_key: ec.EllipticCurvePrivateKey, missing: str
) -> None:
    rejected(ehr, sign(ec_key, claims(**{missing: None})), "exp and iat are required")


def test_exp_far_in_the_future_is_rejected(
    ehr: JwtAuthenticator, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    rejected(ehr, sign(ec_key, claims(exp=NOW + 86_400)), "at most 300 s is accepted")


def test_token_living_longer_than_five_minutes_is_rejected(
    ehr: JwtAuthenticator, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    """CDS Hooks 2.0: tokens expire within 5 minutes; 300 s plus the 60 s leeway is the most."""
    rejected(ehr, sign(ec_key, claims(iat=NOW - 10, exp=NOW + 351)), "exp - iat is 361 s")
    assert ehr.verify(bearer(sign(ec_key, claims(iat=NOW - 10, exp=NOW + 350))), AUDIENCE)


def test_iat_older_than_the_lifetime_is_rejected(
    ehr: JwtAuthenticator, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    """Not yet expired within the leeway, but issued longer ago than a token may live."""
    rejected(ehr, sign(ec_key, claims(iat=NOW - 370, exp=NOW - 15)), "iat is 370 s old")


def test_exp_ahead_by_more_than_the_lifetime_is_rejected(
    ehr: JwtAuthenticator, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    token = sign(ec_key, claims(iat=NOW + 50, exp=NOW + 400))
    rejected(ehr, token, "exp is more than 300 s ahead")


@pytest.mark.parametrize(
    "aud", [AUDIENCE + "/other", ["https://other.example.org"], None, 42, [AUDIENCE[:-1]]]
)
def test_wrong_or_missing_aud_is_rejected(
    ehr: JwtAuthenticator, ec_key: ec.EllipticCurvePrivateKey, aud: Any
) -> None:
    rejected(ehr, sign(ec_key, claims(aud=aud)), "does not name")


def test_replayed_jti_is_rejected(
    ehr: JwtAuthenticator, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    token = sign(ec_key, claims(jti="once-only"))
    assert ehr.verify(bearer(token), AUDIENCE)["jti"] == "once-only"
    rejected(ehr, token, "jti 'once-only' .* replayed")
    # A fresh token reusing the jti is a replay too, not just the identical string.
    rejected(ehr, sign(ec_key, claims(jti="once-only", iat=NOW - 1)), "replayed")


def test_missing_jti_is_rejected(ehr: JwtAuthenticator, ec_key: ec.EllipticCurvePrivateKey) -> None:
    rejected(ehr, sign(ec_key, claims(jti=None)), "jti is required")


def test_rejected_token_does_not_spend_its_jti(
    ehr: JwtAuthenticator, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    rejected(ehr, sign(ec_key, claims(jti="j-1", aud="https://elsewhere")), "does not name")
    assert ehr.verify(bearer(sign(ec_key, claims(jti="j-1"))), AUDIENCE)["jti"] == "j-1"


@pytest.mark.parametrize("tenant", ["hospital-b", None])
def test_tenant_mismatch_is_rejected(
    ec_key: ec.EllipticCurvePrivateKey, tenant: str | None
) -> None:
    authenticator = make_authenticator(
        TrustedClient(iss=EHR_ISS, jwks=jwk_set(public_jwk(ec_key, KID)), tenant="hospital-a")
    )
    rejected(authenticator, sign(ec_key, claims(tenant=tenant)), "is not the client's")


def test_tenant_claimed_by_a_client_bound_to_no_tenant_is_rejected(
    ehr: JwtAuthenticator, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    """The tenant is bound to the client entry: a client without one cannot name any."""
    rejected(ehr, sign(ec_key, claims(tenant="hospital-a")), "is not the client's")


# Key sources: jku allowlist, remote JWKS cache ---------------------------------------------------


@pytest.mark.cds_hooks(195)
def test_jku_not_on_the_allowlist_is_rejected_without_fetching(
    ec_key: ec.EllipticCurvePrivateKey, jwks_server: JwksServer
) -> None:
    attacker_jku = "https://attacker.example/jwks.json"
    jwks_server.sets[attacker_jku] = jwk_set(public_jwk(ec_key, KID))
    authenticator = make_authenticator(
        TrustedClient(iss=EHR_ISS, jku_allowlist=(EHR_JWKS_URL,)), server=jwks_server
    )
    rejected(authenticator, sign(ec_key, claims(), jku=attacker_jku), "not on the allowlist")
    # A near miss is not an exact match either.
    rejected(authenticator, sign(ec_key, claims(), jku=EHR_JWKS_URL + "?x"), "allowlist")
    assert sum(jwks_server.fetches.values()) == 0


def test_off_allowlist_jku_is_ignored_when_the_clients_keys_are_configured(
    ec_key: ec.EllipticCurvePrivateKey, jwks_server: JwksServer, tmp_path: Path
) -> None:
    """Issue 14: the CDS Hooks sandbox always sends its public jku; an operator who configured
    the sandbox's key (jwks or jwks_file) verifies with that key, by kid, and fetches nothing."""
    sandbox_jku = "https://sandbox.cds-hooks.org/.well-known/jwks.json"
    jwks_file = tmp_path / "sandbox-jwks.json"
    jwks_file.write_text(json.dumps(jwk_set(public_jwk(ec_key, KID, alg="ES384"))))
    for client in (
        TrustedClient(iss=EHR_ISS, jwks=jwk_set(public_jwk(ec_key, KID))),
        TrustedClient(iss=EHR_ISS, jwks_file=jwks_file),
    ):
        authenticator = make_authenticator(client, server=jwks_server)
        token = sign(ec_key, claims(), jku=sandbox_jku)
        assert authenticator.verify(bearer(token), AUDIENCE)["iss"] == EHR_ISS
        # The configured key decides: a token signed by another key is still refused.
        other = ec.generate_private_key(ec.SECP384R1())
        rejected(authenticator, sign(other, claims(), jku=sandbox_jku), "signature")
    assert sum(jwks_server.fetches.values()) == 0


def test_off_allowlist_jku_without_configured_keys_is_refused(
    ec_key: ec.EllipticCurvePrivateKey, jwks_server: JwksServer
) -> None:
    attacker_jku = "https://attacker.example/jwks.json"
    jwks_server.sets[attacker_jku] = jwk_set(public_jwk(ec_key, KID))
    authenticator = make_authenticator(
        TrustedClient(iss=EHR_ISS, jku_allowlist=(EHR_JWKS_URL,)), server=jwks_server
    )
    rejected(
        authenticator,
        sign(ec_key, claims(), jku=attacker_jku),
        "not on the allowlist of 'https://ehr.example.org' and no keys are configured",
    )
    assert sum(jwks_server.fetches.values()) == 0


@pytest.fixture
def rotating_ehr(
    ec_key: ec.EllipticCurvePrivateKey, jwks_server: JwksServer, monotonic: FakeClock
) -> JwtAuthenticator:
    jwks_server.sets[EHR_JWKS_URL] = jwk_set(public_jwk(ec_key, "key-2024"))
    return make_authenticator(
        TrustedClient(iss=EHR_ISS, jwks_uri=EHR_JWKS_URL),
        server=jwks_server,
        monotonic=monotonic,
        jwks_min_refresh_seconds=30,
        jwks_ttl_seconds=600,
    )


def test_jwks_is_refetched_on_unknown_kid_after_key_rotation(
    rotating_ehr: JwtAuthenticator,
    ec_key: ec.EllipticCurvePrivateKey,
    other_ec_key: ec.EllipticCurvePrivateKey,
    jwks_server: JwksServer,
    monotonic: FakeClock,
) -> None:
    assert rotating_ehr.verify(bearer(sign(ec_key, claims(), kid="key-2024")), AUDIENCE)
    assert rotating_ehr.verify(bearer(sign(ec_key, claims(), kid="key-2024")), AUDIENCE)
    assert jwks_server.fetches[EHR_JWKS_URL] == 1  # cached

    jwks_server.sets[EHR_JWKS_URL] = jwk_set(
        public_jwk(ec_key, "key-2024"), public_jwk(other_ec_key, "key-2025")
    )
    monotonic.now += 31
    token = sign(other_ec_key, claims(), kid="key-2025")
    assert rotating_ehr.verify(bearer(token), AUDIENCE)["iss"] == EHR_ISS
    assert jwks_server.fetches[EHR_JWKS_URL] == 2


def test_concurrent_first_requests_fetch_the_jwks_once(
    rotating_ehr: JwtAuthenticator, ec_key: ec.EllipticCurvePrivateKey, jwks_server: JwksServer
) -> None:
    tokens = [sign(ec_key, claims(), kid="key-2024") for _ in range(16)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda t: rotating_ehr.verify(bearer(t), AUDIENCE), tokens))
    assert len({result["jti"] for result in results}) == 16
    assert jwks_server.fetches[EHR_JWKS_URL] == 1


def test_unknown_kids_cannot_force_a_fetch_per_request(
    rotating_ehr: JwtAuthenticator,
    ec_key: ec.EllipticCurvePrivateKey,
    jwks_server: JwksServer,
    monotonic: FakeClock,
) -> None:
    assert rotating_ehr.verify(bearer(sign(ec_key, claims(), kid="key-2024")), AUDIENCE)
    for attempt in range(50):
        rejected(rotating_ehr, sign(ec_key, claims(), kid=f"forged-{attempt}"), "unknown kid")
    assert jwks_server.fetches[EHR_JWKS_URL] == 1

    monotonic.now += 31  # one refetch per interval, however many unknown kids arrive
    for attempt in range(50):
        rejected(rotating_ehr, sign(ec_key, claims(), kid=f"forged-b{attempt}"), "unknown kid")
    assert jwks_server.fetches[EHR_JWKS_URL] == 2
    # Known keys keep working from the cache meanwhile.
    assert rotating_ehr.verify(bearer(sign(ec_key, claims(), kid="key-2024")), AUDIENCE)
    assert jwks_server.fetches[EHR_JWKS_URL] == 2


def test_jwks_is_refetched_when_its_ttl_has_passed_and_removed_keys_stop_working(
    rotating_ehr: JwtAuthenticator,
    ec_key: ec.EllipticCurvePrivateKey,
    other_ec_key: ec.EllipticCurvePrivateKey,
    jwks_server: JwksServer,
    monotonic: FakeClock,
) -> None:
    assert rotating_ehr.verify(bearer(sign(ec_key, claims(), kid="key-2024")), AUDIENCE)
    jwks_server.sets[EHR_JWKS_URL] = jwk_set(public_jwk(other_ec_key, "key-2025"))
    monotonic.now += 601
    rejected(rotating_ehr, sign(ec_key, claims(), kid="key-2024"), "unknown kid")
    assert jwks_server.fetches[EHR_JWKS_URL] == 2


def test_unreachable_jwks_fails_closed(
    rotating_ehr: JwtAuthenticator,
    ec_key: ec.EllipticCurvePrivateKey,
    jwks_server: JwksServer,
    monotonic: FakeClock,
) -> None:
    jwks_server.status = 503
    rejected(rotating_ehr, sign(ec_key, claims(), kid="key-2024"), "unknown kid")
    monotonic.now += 5  # failures are rate-limited too
    rejected(rotating_ehr, sign(ec_key, claims(), kid="key-2024"), "unknown kid")
    assert jwks_server.fetches[EHR_JWKS_URL] == 1
    jwks_server.status = 200
    monotonic.now += 30
    assert rotating_ehr.verify(bearer(sign(ec_key, claims(), kid="key-2024")), AUDIENCE)


def test_jwks_redirects_are_not_followed(
    ec_key: ec.EllipticCurvePrivateKey, jwks_server: JwksServer
) -> None:
    def redirecting(request: httpx.Request) -> httpx.Response:
        jwks_server.fetches[str(request.url)] += 1
        return httpx.Response(302, headers={"Location": "https://attacker.example/jwks.json"})

    authenticator = JwtAuthenticator(
        [TrustedClient(iss=EHR_ISS, jwks_uri=EHR_JWKS_URL)],
        http_client=httpx.Client(transport=httpx.MockTransport(redirecting)),
        clock=FakeClock(NOW),
    )
    rejected(authenticator, sign(ec_key, claims()), "unknown kid")
    assert dict(jwks_server.fetches) == {EHR_JWKS_URL: 1}


def test_fetched_jwks_skips_unusable_keys_but_keeps_good_ones(
    ec_key: ec.EllipticCurvePrivateKey, jwks_server: JwksServer
) -> None:
    jwks_server.sets[EHR_JWKS_URL] = {
        "keys": [
            {"kty": "oct", "kid": "shared", "k": "c2VjcmV0"},
            {**public_jwk(ec_key, "enc-key"), "use": "enc"},
            "not-a-key",
            public_jwk(ec_key, KID),
        ]
    }
    authenticator = make_authenticator(
        TrustedClient(iss=EHR_ISS, jwks_uri=EHR_JWKS_URL), server=jwks_server
    )
    assert authenticator.verify(bearer(sign(ec_key, claims())), AUDIENCE)
    rejected(authenticator, sign(ec_key, claims(), kid="enc-key"), "unknown kid")
