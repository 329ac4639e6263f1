"""A throwaway PostgreSQL server on 127.0.0.1 for tests: the session fixture `postgres_url`.

Uses Debian's server binaries (`/usr/lib/postgresql/<version>/bin`), which `python3 tasks.py
test` installs when they are missing. A missing server is a test failure, not a skip: the
feedback store must be proven on PostgreSQL, and a silently skipped proof proves nothing.
Use it from a conftest.py with `from tests.support.postgres import postgres_url`.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

PG_ROOT = Path("/usr/lib/postgresql")
DB_USER = "sarcoma_cds"
DB_NAME = "sarcoma_cds_test"
# initdb refuses to run as root; Debian's package creates this system user.
SERVER_OS_USER = "postgres"
FALLBACK_OS_USER = "sarcoma-cds-pg"
_START_ATTEMPTS = 3  # a free port can be taken between probing it and the server binding it


class PostgresUnavailableError(RuntimeError):
    """The PostgreSQL server cannot be found or started."""


def find_server_binaries(root: Path = PG_ROOT) -> Path:
    """The `bin` folder of the newest installed server version that has initdb and pg_ctl."""
    found = [
        bin_dir
        for bin_dir in root.glob("*/bin")
        if (bin_dir / "initdb").is_file() and (bin_dir / "pg_ctl").is_file()
    ]
    if not found:
        raise PostgresUnavailableError(
            f"PostgreSQL server binaries (initdb, pg_ctl) not found under {root}/*/bin. "
            "Run `python3 tasks.py test` as root (it installs Debian's `postgresql`), or "
            "`apt-get install postgresql`."
        )
    return max(found, key=lambda bin_dir: _version_key(bin_dir.parent.name))


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else -1 for part in name.split("."))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _server_os_user() -> pwd.struct_passwd | None:
    """None when we are not root (the binaries then run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in (SERVER_OS_USER, FALLBACK_OS_USER):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    subprocess.run(
        [
            "useradd",
            "--system",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            FALLBACK_OS_USER,
        ],
        check=True,
        capture_output=True,
    )
    return pwd.getpwnam(FALLBACK_OS_USER)


@dataclass
class PostgresServer:
    bin_dir: Path
    base_dir: Path
    os_user: pwd.struct_passwd | None
    password: str
    port: int = 0

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "server.log"

    def url(self, database: str = DB_NAME) -> str:
        return f"postgresql+psycopg://{DB_USER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        as_user = self.os_user
        result = subprocess.run(
            list(args),
            cwd=self.base_dir,
            capture_output=True,
            text=True,
            check=False,
            user=as_user.pw_uid if as_user else None,
            group=as_user.pw_gid if as_user else None,
            # Drop root's supplementary groups too, not only the uid.
            extra_groups=[] if as_user else None,
        )
        if result.returncode != 0:
            raise PostgresUnavailableError(
                f"{Path(args[0]).name} failed ({result.returncode}): {result.stderr.strip()}"
                f"{self._log_tail()}"
            )

    def _log_tail(self) -> str:
        if not self.log_file.is_file():
            return ""
        return "\nserver log:\n" + "\n".join(self.log_file.read_text().splitlines()[-15:])

    def init(self) -> None:
        if self.os_user is not None:
            os.chown(self.base_dir, self.os_user.pw_uid, self.os_user.pw_gid)
        password_file = self.base_dir / "password"
        password_file.write_text(self.password)
        password_file.chmod(0o600)
        if self.os_user is not None:
            os.chown(password_file, self.os_user.pw_uid, self.os_user.pw_gid)
        try:
            self._run(
                str(self.bin_dir / "initdb"),
                f"--pgdata={self.data_dir}",
                f"--username={DB_USER}",
                f"--pwfile={password_file}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            )
        finally:
            password_file.unlink()

    def start(self) -> None:
        for attempt in range(1, _START_ATTEMPTS + 1):
            self.port = _free_port()
            options = (
                f"-h 127.0.0.1 -p {self.port} -k {self.base_dir} "
                "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
            )
            try:
                self._run(
                    str(self.bin_dir / "pg_ctl"),
                    f"--pgdata={self.data_dir}",
                    f"--log={self.log_file}",
                    "--wait",
                    "--timeout=60",
                    f"--options={options}",
                    "start",
                )
                return
            except PostgresUnavailableError:
                if attempt == _START_ATTEMPTS:
                    raise

    def create_database(self) -> None:
        with psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=DB_USER,
            password=self.password,
            dbname="postgres",
            autocommit=True,
        ) as connection:
            connection.execute(f"CREATE DATABASE {DB_NAME}")

    def stop(self) -> None:
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self._run(
                    str(self.bin_dir / "pg_ctl"),
                    f"--pgdata={self.data_dir}",
                    "--mode=immediate",
                    "--wait",
                    "stop",
                )
        finally:
            shutil.rmtree(self.base_dir, ignore_errors=True)


def start_postgres(bin_dir: Path) -> PostgresServer:
    """Initialise, start and prepare a server in a new temporary folder."""
    # Not pytest's tmp_path: it sits under a root-only folder the `postgres` user cannot enter.
    server = PostgresServer(
        bin_dir=bin_dir,
        base_dir=Path(tempfile.mkdtemp(prefix="sarcoma-cds-pg-")),
        os_user=_server_os_user(),
        password=secrets.token_urlsafe(18),
    )
    try:
        server.init()
        server.start()
        server.create_database()
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL (`postgresql+psycopg://...`) of an empty database on a fresh server."""
    try:
        bin_dir = find_server_binaries()
        server = start_postgres(bin_dir)
    except PostgresUnavailableError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield server.url()
    finally:
        server.stop()
