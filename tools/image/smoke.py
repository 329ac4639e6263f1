"""Run the built image as a hospital would and check what it promises.

1. With no settings it refuses production mode: exit 1 within 30 s, one line naming the
   settings (two workers, the image default: the fail-fast start-up).
2. Read-only root filesystem and no database URL: the SQLite fallback cannot write, exit 1.
3. Production mode for real: a throwaway PostgreSQL on the host (tests/support/postgres.py), the
   trusted-clients file mounted read-only, a read-only root filesystem, no capabilities. Then
   discovery, /healthz, /readyz and a patient-view of example 01 with ES384 JWTs signed by a
   key the trusted-clients file holds, cards recorded in PostgreSQL, a request without a token
   refused, UID 10001 inside, the image's own HEALTHCHECK command passing, no compiler.
The container uses the host's network (no bridge here) on a free loopback port.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import psycopg
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from sqlalchemy.engine import make_url
from tests.support.postgres import find_server_binaries, start_postgres

from sarcoma_cds import SERVICE_ID
from tools.image.engine import Engine, EngineError

PUBLIC_URL = "https://cds.smoke.invalid"
ISSUER = "https://ehr.smoke.invalid"
UID = "10001"
FAIL_FAST_SECONDS = 30
READY_SECONDS = 90
ISSUED_SECONDS = 5  # the writer stores a batch every 0.2 s
EXAMPLE = "01-metachronous-lms-liver-only.json"
LOCK = Path("requirements") / "test.lock"


class SmokeError(AssertionError):
    """What the image did that it must not, or did not do."""


@dataclass(frozen=True)
class Smoke:
    uid: str
    cards: int
    healthcheck: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeError(message)


def _run_to_exit(engine: Engine, image: str, *options: str) -> tuple[int, float, str]:
    """Exit code, seconds and last stderr line of a container that must stop by itself."""
    started = time.monotonic()
    try:
        result = engine(
            "run", "--rm", *engine.run_options, *options, image, check=False, timeout=90
        )
    except EngineError as exc:
        raise SmokeError(f"the container did not exit by itself: {exc}") from None
    lines = result.stderr.strip().splitlines()
    return result.returncode, time.monotonic() - started, lines[-1] if lines else ""


def check_refuses_without_settings(engine: Engine, image: str) -> None:
    port = str(_free_port())
    code, seconds, last = _run_to_exit(engine, image, "--env", f"SARCOMA_CDS_PORT={port}")
    _check(code == 1, f"production mode without settings: exit {code}, expected 1 ({last})")
    _check(seconds < FAIL_FAST_SECONDS, f"production refusal took {seconds:.0f} s")
    _check(
        last.startswith("sarcoma-cds: settings: refusing to start in production mode")
        and "SARCOMA_CDS_TRUSTED_CLIENTS" in last,
        f"production refusal does not name the settings: {last!r}",
    )
    print(f"refuses production mode without settings: exit 1 in {seconds:.1f} s", flush=True)


def _production_env(port: int, db_url: str | None) -> list[str]:
    env = {
        "SARCOMA_CDS_PORT": str(port),
        "SARCOMA_CDS_PUBLIC_URL": PUBLIC_URL,
        "SARCOMA_CDS_CORS_ORIGINS": json.dumps([ISSUER]),
        "SARCOMA_CDS_TRUSTED_CLIENTS": "/etc/sarcoma-cds/trusted-clients.yaml",
    }
    if db_url:
        env["SARCOMA_CDS_FEEDBACK_DB_URL"] = db_url
    return [item for key, value in env.items() for item in ("--env", f"{key}={value}")]


def _hardened(clients: Path) -> list[str]:
    """What compose and Kubernetes do: read-only root, /tmp only, no capabilities."""
    return [
        "--read-only",
        "--tmpfs",
        "/tmp",  # noqa: S108 (the container's own /tmp, a tmpfs)
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--volume",
        f"{clients}:/etc/sarcoma-cds/trusted-clients.yaml:ro",
    ]


def check_read_only_sqlite_fails_fast(engine: Engine, image: str, clients: Path) -> None:
    port = _free_port()
    options = [*_hardened(clients), *_production_env(port, None)]
    code, seconds, last = _run_to_exit(engine, image, *options)
    _check(code == 1, f"SQLite on a read-only root: exit {code}, expected 1 ({last})")
    _check(last.startswith("sarcoma-cds: database: "), f"unclear reason: {last!r}")
    print(f"SQLite fallback on a read-only root: exit 1 in {seconds:.1f} s", flush=True)


def _trusted_clients(folder: Path, key: ec.EllipticCurvePrivateKey) -> Path:
    jwk = {**ECAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": "smoke"}
    clients = folder / "trusted-clients.yaml"
    # JSON is YAML: one client, its public key inline.
    clients.write_text(json.dumps([{"iss": ISSUER, "jwks": {"keys": [jwk]}}]))
    clients.chmod(0o644)  # read by UID 10001 inside
    return clients


def _token(key: ec.EllipticCurvePrivateKey, path: str) -> dict[str, str]:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": PUBLIC_URL + path,
        "iat": now,
        "exp": now + 120,
        "jti": str(uuid.uuid4()),
    }
    signed = jwt.encode(claims, key, algorithm="ES384", headers={"typ": "JWT", "kid": "smoke"})
    return {"Authorization": f"Bearer {signed}"}


def _wait_ready(engine: Engine, container: str, base: str) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        state = engine("inspect", "--format", "{{.State.Running}}", container, check=False)
        if state.stdout.strip() != "true":
            logs = engine("logs", container, check=False)
            tail = (logs.stderr + logs.stdout).strip().splitlines()[-5:]
            raise SmokeError("the container stopped before serving: " + " | ".join(tail))
        time.sleep(0.5)
    raise SmokeError(f"/healthz did not answer within {READY_SECONDS} s")


def _healthcheck_command(engine: Engine, image: str) -> list[str]:
    """The image's HEALTHCHECK as an exec argv (Podman drops it unless built as docker)."""
    raw = engine("image", "inspect", image).stdout
    [info] = json.loads(raw)
    check = (info.get("Config") or {}).get("Healthcheck") or info.get("Healthcheck")
    _check(bool(check and check.get("Test")), "the image has no HEALTHCHECK")
    test: list[str] = check["Test"]
    if test[0] == "CMD-SHELL":
        return ["sh", "-c", test[1]]
    _check(test[0] == "CMD", f"unexpected HEALTHCHECK form {test[0]}")
    return test[1:]


def _serve_checks(base: str, key: ec.EllipticCurvePrivateKey) -> int:
    discovery_path = "/cds-services"
    unauthenticated = httpx.get(base + discovery_path, timeout=10)
    _check(unauthenticated.status_code == 401, f"no token: {unauthenticated.status_code}")
    discovery = httpx.get(base + discovery_path, headers=_token(key, discovery_path), timeout=10)
    _check(discovery.status_code == 200, f"discovery: {discovery.status_code} {discovery.text}")
    ids = [service["id"] for service in discovery.json()["services"]]
    _check(ids == [SERVICE_ID], f"discovery lists {ids}")
    for probe in ("/healthz", "/readyz"):
        status = httpx.get(base + probe, timeout=10).status_code
        _check(status == 200, f"{probe}: {status}")
    request = json.loads((Path("fhir-examples") / EXAMPLE).read_text())
    path = f"/cds-services/{SERVICE_ID}"
    answer = httpx.post(base + path, json=request, headers=_token(key, path), timeout=30)
    _check(answer.status_code == 200, f"patient-view: {answer.status_code} {answer.text[:300]}")
    cards: list[dict[str, Any]] = answer.json()["cards"]
    _check(len(cards) > 0, f"patient-view of {EXAMPLE} returned no cards")
    return len(cards)


def _pins(lines: str) -> dict[str, str]:
    """`name==version` lines (pip freeze, pip-tools lock) by normalised name."""
    found = {}
    for line in lines.splitlines():
        name, separator, version = line.split("#")[0].strip().partition("==")
        if separator:
            found[re.sub(r"[-_.]+", "-", name).lower()] = version.strip()
    return found


def check_locked_versions(engine: Engine, container: str) -> int:
    """Every package in the image's venv is at the version the lock pins."""
    installed = _pins(engine("exec", container, "python", "-m", "pip", "freeze", "--all").stdout)
    locked = _pins(LOCK.read_text())
    own = {"sarcoma-cds", "pip", "setuptools", "wheel"}  # the project and the venv's tooling
    unpinned = {
        f"{name}=={version} (lock: {locked.get(name, 'absent')})"
        for name, version in installed.items()
        if name not in own and locked.get(name) != version
    }
    _check(not unpinned, f"not at the locked version: {', '.join(sorted(unpinned))}")
    return len(installed)


def _issued_in_postgres(db_url: str, expected: int) -> int:
    """Issued cards in the store, waiting for them: the service records them in batches off
    the request path, a fraction of a second after the answer (feedback/issued_writer.py)."""
    url = make_url(db_url).set(drivername="postgresql")
    deadline = time.monotonic() + ISSUED_SECONDS
    while True:
        with psycopg.connect(url.render_as_string(hide_password=False)) as conn:
            row = conn.execute("SELECT count(*) FROM cds_card_issued").fetchone()
        issued = int(row[0]) if row else 0
        if issued >= expected or time.monotonic() > deadline:
            return issued
        time.sleep(0.1)


def check_production(engine: Engine, image: str, folder: Path, db_url: str) -> Smoke:
    key = ec.generate_private_key(ec.SECP384R1())
    clients = _trusted_clients(folder, key)
    check_read_only_sqlite_fails_fast(engine, image, clients)
    port = _free_port()
    container = f"sarcoma-cds-smoke-{uuid.uuid4().hex[:8]}"
    options = [*_hardened(clients), *_production_env(port, db_url)]
    engine("run", "--detach", "--name", container, *engine.run_options, *options, image)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(engine, container, base)
        cards = _serve_checks(base, key)
        issued = _issued_in_postgres(db_url, cards)
        _check(issued >= cards, f"PostgreSQL holds {issued} issued cards, expected {cards}")
        packages = check_locked_versions(engine, container)
        uid = engine("exec", container, "python", "-c", "import os; print(os.getuid())")
        _check(uid.stdout.strip() == UID, f"runs as UID {uid.stdout.strip()}, expected {UID}")
        compilers = engine("exec", container, "sh", "-c", "command -v gcc cc make", check=False)
        _check(compilers.stdout.strip() == "", f"build tools in the image: {compilers.stdout}")
        health = engine("exec", container, *_healthcheck_command(engine, image), check=False)
        _check(health.returncode == 0, f"HEALTHCHECK command failed: {health.stderr[-300:]}")
        print(
            f"production mode: {cards} cards, {issued} recorded in PostgreSQL; "
            f"{packages} packages at the locked versions",
            flush=True,
        )
        return Smoke(uid=uid.stdout.strip(), cards=cards, healthcheck="ok")
    finally:
        engine("rm", "--force", container, check=False)


def smoke_test(engine: Engine, image: str) -> Smoke:
    check_refuses_without_settings(engine, image)
    server = start_postgres(find_server_binaries())
    try:
        with tempfile.TemporaryDirectory(prefix="sarcoma-cds-smoke-") as folder:
            Path(folder).chmod(0o755)
            return check_production(engine, image, Path(folder), server.url())
    finally:
        server.stop()


def image_size_mb(engine: Engine, image: str) -> int:
    size = engine("image", "inspect", "--format", "{{.Size}}", image).stdout.strip()
    return round(int(size) / 1_000_000)


def revision(engine: Engine, image: str) -> str:
    label = "org.opencontainers.image.revision"
    found = engine("image", "inspect", "--format", f'{{{{index .Config.Labels "{label}"}}}}', image)
    return found.stdout.strip()


def git_commit(root: Path) -> str:
    result = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or "unknown"
