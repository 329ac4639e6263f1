"""A hostile FHIR server against a real worker (issue 17, F1): four calls at once whose every
fallback fetch meets a gzip bomb (256 MB from 250 KB) or a body that never ends. Each call is
answered 412 naming the budget, and the worker's peak RSS stays within a bound (printed; the
probe `python -m tests.support.hostile_fhir` prints the same for any checkout)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.support.hostile_fhir import gzip_bomb, hostile_calls, hostile_fhir_server
from tests.support.service_process import ServiceProcess, running_service

# What four refused calls may add to the worker's peak RSS: the process-wide cap (48 MB of
# fetched bytes) and the parsing around it. Before the budget: +2,100 MB for the bomb.
MAX_GROWTH_MB = 120


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    gzip_bomb()
    workdir = tmp_path_factory.mktemp("bounded")
    env = {
        "SARCOMA_CDS_FEEDBACK_DB_URL": f"sqlite:///{workdir}/service.sqlite3",
        "SARCOMA_CDS_FETCH_TIMEOUT_SECONDS": "30",  # the budget must stop it, not the clock
    }
    with running_service(env, workdir) as service:
        yield service


@pytest.mark.parametrize("path", ["bomb", "endless"])
def test_a_hostile_fhir_server_costs_a_worker_a_bounded_amount_of_memory(
    worker: ServiceProcess, path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with hostile_fhir_server() as fhir:
        before = worker.peak_rss_mb()
        responses = hostile_calls(
            worker.url, f"http://127.0.0.1:{fhir.server_port}/{path}", calls=4
        )
        peak = worker.peak_rss_mb()
    with capsys.disabled():
        print(f"\n{path}: worker peak RSS {before:.0f} MB -> {peak:.0f} MB")
    assert [r.status_code for r in responses] == [412] * 4
    for response in responses:
        (issue,) = response.json()["issue"]
        assert (
            "more than 16777216 bytes for this call" in issue["diagnostics"]
            or "holding its limit of fetched data for other calls" in issue["diagnostics"]
        )
    assert peak - before < MAX_GROWTH_MB, f"peak RSS grew {peak - before:.0f} MB"
