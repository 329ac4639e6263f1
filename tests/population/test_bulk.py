"""`screen` from a live FHIR server: the Bulk Data `$export` flow against sekmet-fhir (kick-off,
polling with Retry-After, manifest, downloads), with a static token and with SMART Backend
Services (private_key_jwt, RS384 and ES384), and the server's failures as clear errors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc.jwk import ECKey, RSAKey
from rich.console import Console
from tests.population.conftest import TODAY
from tests.support.bulk_export import example_patient_ids, example_resources, write_export
from tests.support.fhir_server import FhirServer, run_sekmet
from tests.support.sarcoma_patient import transaction

from sarcoma_cds.cli import main
from sarcoma_cds.population.bulk import (
    BulkExportError,
    BulkSettings,
    ExportLog,
    export_to_folder,
    kickoff_url,
)
from sarcoma_cds.population.runner import LocalRunner
from sarcoma_cds.population.screen import screen

# Examples whose resource ids do not collide (one server holds them all).
EXAMPLES = [
    "01-metachronous-lms-liver-only.json",
    "13-gist-icd10cm.json",
    "18-sts-lung-metastases-only.json",
    "48-mcode-stu4-postcoordinated-lms-tumor-bodystructure.json",
    "51-synthea-raw-transaction-bundle-urn-uuid.json",
    "55-text-only-problem-list.json",
    "57-unrecognised-cancer-code-d48-1.json",
    "58-medication-request-planned-bundled-medication.json",
]
GROUP = ["01-metachronous-lms-liver-only.json", "13-gist-icd10cm.json"]


@dataclass(frozen=True)
class BulkServer:
    fhir: FhirServer
    keys: dict[str, Path]  # client id → private key PEM file


def _pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, path: Path) -> Path:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


@pytest.fixture(scope="module")
def bulk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BulkServer]:
    folder = tmp_path_factory.mktemp("bulk-keys")
    rs = _pem(rsa.generate_private_key(65537, 2048), folder / "rs.pem")
    es = _pem(ec.generate_private_key(ec.SECP384R1()), folder / "es.pem")
    clients = []
    for client_id, pem, kind, alg in (
        ("screen-rs", rs, RSAKey, "RS384"),
        ("screen-es", es, ECKey, "ES384"),
    ):
        jwk = kind.import_key(pem.read_bytes()).as_dict(private=False)
        clients.append(
            {
                "client_id": client_id,
                "jwks": {"keys": [jwk | {"kid": f"{client_id}-1", "alg": alg}]},
                "scopes": "system/*.read",
            }
        )
    with run_sekmet(tmp_path_factory.mktemp("sekmet-bulk"), smart_clients=clients) as fhir:
        fhir.load(transaction([r for name in EXAMPLES for r in example_resources(name)]))
        ids = example_patient_ids()
        members = [{"entity": {"reference": f"Patient/{ids[name]}"}} for name in GROUP]
        fhir.load(
            transaction(
                [
                    {
                        "resourceType": "Group",
                        "id": "board",
                        "type": "person",
                        "actual": True,
                        "member": members,
                    }
                ]
            )
        )
        yield BulkServer(fhir, {"screen-rs": rs, "screen-es": es})


def _bearer(server: BulkServer) -> BulkSettings:
    return BulkSettings(_env_file=None, auth="bearer", bearer_token=server.fhir.token)


def _smart(server: BulkServer, client_id: str, alg: str) -> BulkSettings:
    return BulkSettings(
        _env_file=None,
        auth="smart",
        client_id=client_id,
        private_key_file=server.keys[client_id],
        key_id=f"{client_id}-1",
        algorithm=alg,
        # sekmet checks the status and file endpoints against a wildcard scope
        scope="system/*.read",
    )


def _quiet() -> Console:
    return Console(stderr=True, quiet=True)


def test_kickoff_urls() -> None:
    assert kickoff_url("https://ehr/fhir") == ("https://ehr/fhir/$export", "https://ehr/fhir")
    assert kickoff_url("https://ehr/fhir/Group/g1") == (
        "https://ehr/fhir/Group/g1/$export",
        "https://ehr/fhir",
    )
    assert kickoff_url("https://ehr/fhir/Patient/") == (
        "https://ehr/fhir/Patient/$export",
        "https://ehr/fhir",
    )


def test_export_polls_downloads_and_screens_like_the_folder(
    bulk_server: BulkServer, tmp_path: Path, local_runner: LocalRunner
) -> None:
    log = ExportLog()
    folder, requested = export_to_folder(
        bulk_server.fhir.base_url, tmp_path / "export", _quiet(), _bearer(bulk_server), log
    )
    assert log.polls >= 2 and log.waits  # the server answered 202 first: polled again
    assert all(w <= 1.0 for w in log.waits)  # sekmet's Retry-After: 1
    assert log.files >= 6
    assert "Condition" in requested and "Patient" in requested
    from_server = screen(folder, tmp_path / "out", TODAY, local_runner, _quiet(), requested)
    write_export(tmp_path / "local", files=EXAMPLES)
    from_folder = screen(tmp_path / "local", tmp_path / "out2", TODAY, local_runner, _quiet())
    assert from_server.patients == len(EXAMPLES)
    assert from_server.rows == from_folder.rows
    assert from_server.off_list == from_folder.off_list
    assert len(from_server.rows) == 4  # 01, 48, 51, 58: a summary card each
    # GIST (13), text only (55), an unrecognised cancer code (57): cards, but no summary card
    assert sorted(e["branch"] for e in from_server.off_list) == [
        "data-quality",
        "data-quality",
        "not-applicable",
    ]


@pytest.mark.parametrize(("client_id", "alg"), [("screen-rs", "RS384"), ("screen-es", "ES384")])
def test_smart_backend_services(
    bulk_server: BulkServer, tmp_path: Path, client_id: str, alg: str
) -> None:
    folder, _ = export_to_folder(
        f"{bulk_server.fhir.base_url}/Group/board",
        tmp_path / "export",
        _quiet(),
        _smart(bulk_server, client_id, alg),
    )
    patients = (next(folder.glob("*-Patient.ndjson"))).read_text().splitlines()
    assert len(patients) == len(GROUP)


def test_cli_screens_a_server(
    bulk_server: BulkServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SARCOMA_CDS_BULK_AUTH", "bearer")
    monkeypatch.setenv("SARCOMA_CDS_BULK_BEARER_TOKEN", bulk_server.fhir.token)
    url = f"{bulk_server.fhir.base_url}/Group/board"
    assert main(["screen", url, "--out", str(tmp_path), "--today", TODAY.isoformat()]) == 0
    csv = (tmp_path / "worklist.csv").read_text()
    ids = example_patient_ids()
    assert ids[GROUP[0]] in csv
    captured = capsys.readouterr()
    assert bulk_server.fhir.token not in captured.err + captured.out  # never printed
    # Run again: the download is reused, nothing is exported twice.
    assert main(["screen", url, "--out", str(tmp_path), "--today", TODAY.isoformat()]) == 0
    assert "already downloaded" in capsys.readouterr().err


def test_unknown_group_is_a_clear_error(
    bulk_server: BulkServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SARCOMA_CDS_BULK_AUTH", "bearer")
    monkeypatch.setenv("SARCOMA_CDS_BULK_BEARER_TOKEN", bulk_server.fhir.token)
    url = f"{bulk_server.fhir.base_url}/Group/nobody"
    assert main(["screen", url, "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "$export kick-off refused" in err and "HTTP 404" in err and "Group/nobody" in err
    assert "Traceback" not in err


def test_export_failing_on_the_server_is_a_clear_error(
    bulk_server: BulkServer, tmp_path: Path
) -> None:
    """The server accepts the kick-off, then the job fails: the status answers 500."""
    failed = r"the export failed on the server: HTTP 5\d\d \(Invalid date search value"
    with pytest.raises(BulkExportError, match=failed):
        export_to_folder(
            f"{bulk_server.fhir.base_url}/$export?_typeFilter=Observation%3Fdate%3Dnot-a-date",
            tmp_path,
            _quiet(),
            _bearer(bulk_server),
        )


def test_wrong_key_is_refused(bulk_server: BulkServer, tmp_path: Path) -> None:
    settings = _smart(bulk_server, "screen-rs", "RS384")
    settings.private_key_file = _pem(rsa.generate_private_key(65537, 2048), tmp_path / "k.pem")
    with pytest.raises(BulkExportError, match=r"SMART Backend Services token .* refused"):
        export_to_folder(bulk_server.fhir.base_url, tmp_path / "e", _quiet(), settings)


def test_no_token_is_refused(bulk_server: BulkServer, tmp_path: Path) -> None:
    settings = BulkSettings(_env_file=None)
    with pytest.raises(BulkExportError, match="HTTP 401"):
        export_to_folder(bulk_server.fhir.base_url, tmp_path, _quiet(), settings)
