"""`sarcoma-cds serve` fails fast: any start-up failure ends the whole server with exit 1 and one
line saying why, with one worker or several (uvicorn alone restarts a crashing worker forever).
The server runs as a real subprocess, as in the container image."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from uvicorn.config import STARTUP_FAILURE

from sarcoma_cds import startup
from sarcoma_cds.paths import repo_root
from sarcoma_cds.settings import Settings
from sarcoma_cds.web.app import worker_app

ROOT = repo_root()
# The bound the container issue sets: a server that cannot run is gone within 30 s.
FAIL_FAST_SECONDS = 30
# Starting for real loads the rules three times (the parent's check, two workers): generous, as
# the suite shares two cores.
READY_SECONDS = 120


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _serve(
    tmp_path: Path, workers: int, env: dict[str, str], port: int | None = None
) -> subprocess.Popen[str]:
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "service"),
        "SARCOMA_CDS_FEEDBACK_DB_URL": f"sqlite:///{tmp_path}/fb.sqlite3",
        **env,
    }
    command = [sys.executable, "-m", "sarcoma_cds.cli", "serve", "--workers", str(workers)]
    command += ["--port", str(port or _free_port())]
    return subprocess.Popen(
        command,
        env=environment,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _exit_fast(server: subprocess.Popen[str]) -> tuple[int, float, str]:
    """The exit code, the seconds it took and the last stderr line of a server that must stop
    by itself; a server still running after the bound is killed and the test fails."""
    started = time.monotonic()
    try:
        _, stderr = server.communicate(timeout=FAIL_FAST_SECONDS)
    except subprocess.TimeoutExpired:
        server.kill()
        _, stderr = server.communicate()
        pytest.fail(f"the server was still running after {FAIL_FAST_SECONDS} s:\n{stderr[-2000:]}")
    lines = stderr.strip().splitlines()
    return server.returncode, time.monotonic() - started, lines[-1] if lines else ""


def test_unreachable_postgresql_ends_a_two_worker_server_with_exit_1(tmp_path: Path) -> None:
    closed_port = _free_port()  # nothing listens there: the connection is refused
    url = f"postgresql+psycopg://sarcoma:s3cret-pw@127.0.0.1:{closed_port}/sarcoma"
    server = _serve(tmp_path, 2, {"SARCOMA_CDS_FEEDBACK_DB_URL": url})

    code, seconds, last = _exit_fast(server)

    assert code == 1
    assert seconds < FAIL_FAST_SECONDS
    assert last.startswith("sarcoma-cds: database: cannot open the feedback store postgresql")
    assert "OperationalError" in last
    assert "s3cret-pw" not in last


def test_broken_rules_end_a_two_worker_server_with_exit_1(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "cql-free-rules", rules)
    (rules / "rules" / "biopsy.yaml").write_text("id: biopsy\nversion: 1\n")
    server = _serve(tmp_path, 2, {"SARCOMA_CDS_RULES_DIR": str(rules)})

    code, _, last = _exit_fast(server)

    assert code == 1
    assert last.startswith("sarcoma-cds: rules: ")
    assert "biopsy.yaml" in last


def test_sqlite_on_a_read_only_path_ends_a_two_worker_server_with_exit_1(tmp_path: Path) -> None:
    # /proc refuses new files even to root (the tests run as root, so file modes would not do):
    # the same failure as the image's SQLite fallback on a read-only root filesystem.
    url = "sqlite:////proc/self/feedback.sqlite3"
    server = _serve(tmp_path, 2, {"SARCOMA_CDS_FEEDBACK_DB_URL": url})

    code, _, last = _exit_fast(server)

    assert code == 1
    assert last.startswith("sarcoma-cds: database: cannot open the feedback store sqlite:")


def test_production_mode_without_its_settings_ends_a_two_worker_server(tmp_path: Path) -> None:
    server = _serve(tmp_path, 2, {"SARCOMA_CDS_MODE": "production"})

    code, _, last = _exit_fast(server)

    assert code == 1
    assert last.startswith("sarcoma-cds: settings: refusing to start in production mode")
    assert "SARCOMA_CDS_TRUSTED_CLIENTS" in last


def test_an_invalid_setting_is_named_in_one_line(tmp_path: Path) -> None:
    server = _serve(tmp_path, 2, {"SARCOMA_CDS_LOG_LEVEL": "loud"})

    code, _, last = _exit_fast(server)

    assert code == 1
    assert last.startswith("sarcoma-cds: settings: SARCOMA_CDS_LOG_LEVEL: ")


def test_a_port_in_use_ends_the_server_with_exit_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = _serve(tmp_path, 1, {}, port=taken.getsockname()[1])
        code, _, last = _exit_fast(server)

    assert code == 1
    assert last.startswith("sarcoma-cds: server: cannot serve on 127.0.0.1:")


def test_two_workers_serve_and_stop_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    server = _serve(tmp_path, 2, {}, port=port)
    try:
        status = None
        deadline = time.monotonic() + READY_SECONDS
        while status is None and time.monotonic() < deadline:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code
            except httpx.TransportError:
                time.sleep(0.2)
        assert status == 200
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=FAIL_FAST_SECONDS)
    assert server.returncode == 0, stderr[-2000:]


@pytest.mark.usefixtures("restore_logging")
def test_a_worker_that_cannot_start_exits_with_uvicorns_fatal_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a worker does when its own start fails after the parent's check passed (the
    database gone in between): uvicorn's supervisor stops on this code instead of respawning."""
    monkeypatch.setenv("SARCOMA_CDS_FEEDBACK_DB_URL", "sqlite:////proc/self/feedback.sqlite3")
    monkeypatch.setenv("SARCOMA_CDS_RULES_DIR", str(ROOT / "cql-free-rules"))

    with pytest.raises(SystemExit) as exit_info:
        worker_app()

    assert exit_info.value.code == STARTUP_FAILURE != 1
    [line] = [line for line in capsys.readouterr().err.splitlines() if "cannot start" in line]
    assert json.loads(line)["message"].startswith(
        "worker cannot start: database: cannot open the feedback store sqlite:"
    )


def test_the_parent_check_names_the_part_that_failed(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, rules_dir=tmp_path / "missing")

    with pytest.raises(startup.StartupError, match=r"^rules: "):
        startup.check(settings)


def test_the_parent_check_passes_what_the_app_accepts(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, feedback_db_url=f"sqlite:///{tmp_path}/fb.sqlite3")

    startup.check(settings)

    assert (tmp_path / "fb.sqlite3").is_file()


def test_an_unwritable_replay_store_is_one_database_line() -> None:
    # In production the trusted clients open the replay store (issue 17) before the feedback
    # store: its failure must end start-up with the same one line, not a traceback.
    from sarcoma_cds.security.replay import ReplayStoreError
    from sarcoma_cds.startup import StartupError, one_line_reasons

    expected = r"^database: cannot open the replay store sqlite:"
    with pytest.raises(StartupError, match=expected), one_line_reasons():
        raise ReplayStoreError("cannot open the replay store sqlite:////x: OperationalError")
