"""`sarcoma-cds timeline REQUEST.json --out view.html`: the tumour-board view without SMART."""

from __future__ import annotations

from pathlib import Path

import pytest

from sarcoma_cds import cli

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "fhir-examples" / "29-re-metastasectomy-long-tfi.json"


def test_timeline_writes_the_view(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "view.html"
    code = cli.main(["timeline", str(EXAMPLE), "--today", "2026-06-01", "--out", str(out)])
    assert code == 0
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="timeline"' in html
    assert "DFI 41 months · metachronous" in html
    assert "2022-11-10 Liver resection" in html
    assert f"wrote {out}" in capsys.readouterr().out


def test_timeline_refuses_bad_input_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert cli.main(["timeline", str(broken), "--out", str(tmp_path / "v.html")]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    missing_dir = tmp_path / "nowhere" / "v.html"
    assert cli.main(["timeline", str(EXAMPLE), "--out", str(missing_dir)]) == 2
    assert "cannot write" in capsys.readouterr().err
    assert not (tmp_path / "v.html").exists()
