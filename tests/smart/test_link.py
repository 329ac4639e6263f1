"""The summary card links to the tumour-board view (a CDS Hooks `smart` link)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from tests.conftest import load_example

from sarcoma_cds import SERVICE_ID
from sarcoma_cds.settings import Settings
from sarcoma_cds.smart.link import with_launch_link
from sarcoma_cds.web.app import create_app

EXAMPLE = "29-re-metastasectomy-long-tfi.json"


def _cards(settings: Settings) -> list[dict[str, Any]]:
    app = create_app(settings, today=lambda: date(2026, 6, 1))
    with TestClient(app) as client:
        response = client.post(f"/cds-services/{SERVICE_ID}", json=load_example(EXAMPLE))
    assert response.status_code == 200
    cards: list[dict[str, Any]] = response.json()["cards"]
    return cards


def _links(cards: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    return {c["extension"]["org.sarcoma-cds"]["topic"]: c.get("links", []) for c in cards}


def test_the_summary_card_links_to_the_launch_url_at_the_request_base(tmp_path: Path) -> None:
    links = _links(_cards(Settings(feedback_db_url=f"sqlite:///{tmp_path}/fb.sqlite3")))
    assert links.pop("summary") == [
        {
            "label": "Open the tumour-board view",
            "url": "http://testserver/app/launch",
            "type": "smart",
        }
    ]
    assert links, "other cards exist"
    assert all(not card_links for card_links in links.values())


def test_the_launch_url_uses_the_public_url(tmp_path: Path) -> None:
    settings = Settings(
        feedback_db_url=f"sqlite:///{tmp_path}/fb.sqlite3",
        public_url="https://cds.example.org/base/",
    )
    [link] = _links(_cards(settings))["summary"]
    assert link["url"] == "https://cds.example.org/base/app/launch"


def test_existing_links_are_kept() -> None:
    card = {
        "summary": "s",
        "links": [{"label": "Paper", "url": "https://doi.org/x", "type": "absolute"}],
        "extension": {"org.sarcoma-cds": {"topic": "summary"}},
    }
    [out] = with_launch_link([card], "https://cds.example.org/app/launch")
    assert [link["type"] for link in out["links"]] == ["absolute", "smart"]
    assert len(card["links"]) == 1  # the input is not changed
