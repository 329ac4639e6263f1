"""The throwaway PostgreSQL server that the feedback-store tests run against."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from tests.support.postgres import PostgresUnavailableError, find_server_binaries


@pytest.mark.postgres
def test_server_accepts_queries_and_ddl(postgres_url: str) -> None:
    url = make_url(postgres_url)
    assert url.drivername == "postgresql+psycopg"
    assert url.host == "127.0.0.1"
    engine = create_engine(postgres_url)
    try:
        with engine.begin() as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
            connection.execute(
                text("CREATE TABLE fixture_probe (id serial PRIMARY KEY, note text NOT NULL)")
            )
            connection.execute(text("INSERT INTO fixture_probe (note) VALUES ('stored')"))
        with engine.connect() as connection:
            assert connection.execute(text("SELECT note FROM fixture_probe")).scalar_one() == (
                "stored"
            )
            version = connection.execute(text("SHOW server_version_num")).scalar_one()
            assert int(version) >= 120000
            connection.execute(text("DROP TABLE fixture_probe"))
            connection.commit()
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_server_requires_the_password(postgres_url: str) -> None:
    wrong = make_url(postgres_url).set(password="not-the-password")
    engine = create_engine(wrong)
    try:
        with pytest.raises(Exception, match="password authentication failed"):
            engine.connect()
    finally:
        engine.dispose()


def _fake_server(root: Path, version: str, *, with_pg_ctl: bool = True) -> None:
    bin_dir = root / version / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "initdb").write_text("")
    if with_pg_ctl:
        (bin_dir / "pg_ctl").write_text("")


def test_missing_binaries_give_a_clear_error(tmp_path: Path) -> None:
    _fake_server(tmp_path, "16", with_pg_ctl=False)
    with pytest.raises(
        PostgresUnavailableError, match=r"initdb, pg_ctl.*apt-get install postgresql"
    ):
        find_server_binaries(tmp_path)


def test_newest_server_version_is_chosen(tmp_path: Path) -> None:
    _fake_server(tmp_path, "9.6")
    _fake_server(tmp_path, "16")
    _fake_server(tmp_path, "13")
    assert find_server_binaries(tmp_path) == tmp_path / "16" / "bin"
