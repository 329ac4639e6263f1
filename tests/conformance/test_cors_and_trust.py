"""CDS Hooks 2.0 "Cross-Origin Resource Sharing" and "Trusting CDS Clients" as the browser and
the EHR meet them. The JWT checks themselves are in tests/security (marked there)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conformance.conftest import SERVICE_PATH, make_client

from sarcoma_cds.settings import Settings, UnsafeSettingsError

EHR = "https://ehr.example.org"


@pytest.mark.cds_hooks(208)
def test_browser_clients_get_cors_for_the_listed_origins_only(tmp_path: Path) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    with make_client(tmp_path, cors_origins=[EHR]) as client:
        allowed = client.options(SERVICE_PATH, headers={"Origin": EHR, **preflight})
        refused = client.options(
            SERVICE_PATH, headers={"Origin": "https://evil.example", **preflight}
        )
        answer = client.get("/cds-services", headers={"Origin": EHR})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == EHR
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in refused.headers
    assert answer.headers["access-control-allow-origin"] == EHR


@pytest.mark.cds_hooks(177)
def test_production_requires_client_authentication(tmp_path: Path) -> None:
    with pytest.raises(UnsafeSettingsError, match="TRUSTED_CLIENTS is not set"):
        Settings(
            mode="production", public_url="https://cds.example.org", cors_origins=[EHR]
        ).check_safe()


@pytest.mark.cds_hooks(200, 201, 203, 205, 206)
def test_only_asymmetric_jws_algorithms_are_accepted_and_es384_rs384_by_default() -> None:
    assert Settings().jwt_algorithms == ["ES384", "RS384"]
    assert Settings(jwt_algorithms=["ES512", "PS384"]).jwt_algorithms == ["ES512", "PS384"]
    for refused in (["none"], ["HS256"], ["HS384", "ES384"]):
        with pytest.raises(ValueError, match="refused"):
            Settings(jwt_algorithms=refused)
