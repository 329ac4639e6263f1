"""`sarcoma-cds` commands: evaluate and facts in-process, serve as a real subprocess."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from sarcoma_cds import cli
from sarcoma_cds.cds_hooks.cards import Card, Source
from sarcoma_cds.pipeline import Engine, Evaluation

ROOT = Path(__file__).resolve().parents[1]
REQUEST: dict[str, Any] = {
    "hook": "patient-view",
    "hookInstance": "0a6a1c0e-cli",
    "context": {"userId": "Practitioner/1", "patientId": "pat-cli"},
    "prefetch": {"patient": None, "conditions": None, "observations": None, "procedures": None},
}


@dataclass(frozen=True)
class RecordingEngine:
    seen: list[tuple[str, date]] = field(default_factory=list)

    def evaluate(
        self,
        patient_id: str,
        prefetch: Mapping[str, Any],
        today: date,
        user_id: str | None = None,
        hook_instance: str | None = None,
        unreadable: Mapping[str, str] | None = None,
        fhir_server: str | None = None,
    ) -> Evaluation:
        self.seen.append((patient_id, today))
        card = Card(uuid="u", summary="s", indicator="info", source=Source(label="l"), detail="")
        return Evaluation(cards=[card], facts={"timing": "synchronous"})


@pytest.fixture
def request_file(tmp_path: Path) -> Path:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(REQUEST))
    return path


@pytest.fixture(autouse=True)
def feedback_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SARCOMA_CDS_FEEDBACK_DB_URL", f"sqlite:///{tmp_path}/fb.sqlite3")


def test_evaluate_without_data_prints_empty_cards(
    request_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["evaluate", str(request_file), "--today", "2025-06-01"]) == 0

    assert json.loads(capsys.readouterr().out) == {"cards": []}


def test_evaluate_and_facts_use_the_pipeline_and_today(
    request_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = RecordingEngine()
    monkeypatch.setattr(Engine, "load", classmethod(lambda cls, settings: engine))

    assert cli.main(["evaluate", str(request_file), "--today", "2024-02-29"]) == 0
    cards = json.loads(capsys.readouterr().out)["cards"]
    assert cli.main(["facts", str(request_file), "--today", "2024-02-29"]) == 0
    facts = json.loads(capsys.readouterr().out)

    # The same wire form as over HTTP: the empty detail is pruned.
    assert cards == [{"uuid": "u", "summary": "s", "indicator": "info", "source": {"label": "l"}}]
    assert facts == {"timing": "synchronous"}
    assert engine.seen == [("pat-cli", date(2024, 2, 29))] * 2


def test_facts_prints_a_json_object(request_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["facts", str(request_file)]) == 0

    assert isinstance(json.loads(capsys.readouterr().out), dict)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("{not json", "not valid JSON"),
        (json.dumps({**REQUEST, "hook": "order-select"}), "hook:"),
        (json.dumps({**REQUEST, "context": {"userId": "x"}}), "context.patientId"),
    ],
)
def test_invalid_request_file_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_text(content)

    for command in ("evaluate", "facts"):
        assert cli.main([command, str(path)]) == 2
        err = capsys.readouterr().err
        assert message in err
        assert err.startswith("sarcoma-cds: ")
        assert err.count("\n") == 1


def test_bad_today_is_a_usage_error(request_file: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", str(request_file), "--today", "01/06/2025"])

    assert exit_info.value.code == 2


def test_parser_has_the_registered_commands() -> None:
    parser = cli.build_parser()
    commands = {action.dest: action for action in parser._subparsers._group_actions}  # type: ignore[union-attr]

    assert set(commands["command"].choices) >= {"serve", "evaluate", "facts"}  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_answers_discovery_with_json_logs(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "service"),
        "SARCOMA_CDS_FEEDBACK_DB_URL": f"sqlite:///{tmp_path}/fb.sqlite3",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "sarcoma_cds.cli", "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body = None
        deadline = time.monotonic() + 60  # start-up, not speed: the suite shares two cores
        while time.monotonic() < deadline and body is None:
            try:
                body = httpx.get(f"http://127.0.0.1:{port}/cds-services", timeout=1).json()
            except httpx.TransportError:
                time.sleep(0.2)
        assert body is not None, "server did not answer within 60 s"
        assert body["services"][0]["id"] == "sts-liver-metastases"
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=20)

    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert any("DEVELOPMENT MODE" in line["message"] for line in lines)
    assert any(line.get("path") == "/cds-services" and line.get("status") == 200 for line in lines)


def test_rules_check_validates_and_runs_the_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["rules", "check"]) == 0
    out = capsys.readouterr().out
    assert "10 rule files, 34 recommendations" in out
    assert "inline examples pass" in out


def test_rules_check_fails_on_a_broken_rules_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    from sarcoma_cds.paths import repo_root

    folder = tmp_path / "rules"
    shutil.copytree(repo_root() / "cql-free-rules", folder)
    (folder / "rules" / "biopsy.yaml").write_text("id: biopsy\nversion: 1\n")
    monkeypatch.setenv("SARCOMA_CDS_RULES_DIR", str(folder))

    assert cli.main(["rules", "check"]) == 1
    err = capsys.readouterr().err
    assert "biopsy.yaml" in err
    assert "Field required" in err


def test_rules_coverage_accounts_for_all_34(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["rules", "coverage"]) == 0
    out = capsys.readouterr().out
    assert "34 of 34 recommendations accounted for" in out
    assert "5.5             57% not reached     treatment-pathway" in out


def test_demo_prints_the_cards_of_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    from sarcoma_cds.paths import repo_root

    example = repo_root() / "fhir-examples" / "01-metachronous-lms-liver-only.json"
    args = ["demo", str(example), "--today", "2026-06-01", "--colour", "always"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "\x1b[" in out  # colourised
    assert "consider liver resection" in out
    assert "suggestion: Refer to the sarcoma multidisciplinary tumour board" in out


def test_demo_without_colour_is_plain(capsys: pytest.CaptureFixture[str]) -> None:
    from sarcoma_cds.paths import repo_root

    example = repo_root() / "fhir-examples" / "16-no-cancer.json"
    assert cli.main(["demo", str(example), "--colour", "never"]) == 0
    out = capsys.readouterr().out
    assert "\x1b[" not in out
    assert "no cards" in out
