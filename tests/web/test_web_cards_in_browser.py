"""The cards as an EHR shows them (issue 14), in a real browser: Chromium (Playwright) opens a
small EHR side panel on its own origin, which discovers the service, calls it for each example
patient and renders the cards' markdown. The summary card fits on one screen (≤ 900 px tall at
1280×800), the most urgent card comes first, and nothing shows raw markdown or resource ids."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, sync_playwright
from starlette.applications import Starlette
from starlette.responses import FileResponse
from starlette.routing import Route
from tests.conftest import load_example, load_manifest
from tests.support.serve import free_port, serve_in_thread

from sarcoma_cds.settings import Settings
from sarcoma_cds.web.app import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MARKED = Path("/usr/share/javascript/marked/marked.min.js")  # Debian's libjs-marked
PANEL = Path(__file__).parent / "ehr" / "side-panel.html"
EHR_PORT = free_port()
EHR = f"http://127.0.0.1:{EHR_PORT}"  # the page's own origin: the service calls are cross-origin
MANIFEST = load_manifest()
TODAY = {e["today"] for e in MANIFEST}
SCREENSHOT_OF = "29-re-metastasectomy-long-tfi.json"


@pytest.fixture(scope="module")
def service_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    assert len(TODAY) == 1, "the examples share one evaluation date"
    db = tmp_path_factory.mktemp("browser") / "feedback.sqlite3"
    settings = Settings(feedback_db_url=f"sqlite:///{db}", cors_origins=[EHR])
    app = create_app(settings, today=lambda: date.fromisoformat(next(iter(TODAY))))
    with serve_in_thread(app, free_port()) as url:
        yield url


def _ehr_app() -> Starlette:
    """The EHR's static side panel and Debian's markdown renderer, on their own origin."""
    return Starlette(
        routes=[
            Route("/side-panel.html", lambda _: FileResponse(PANEL)),
            Route("/marked.min.js", lambda _: FileResponse(MARKED)),
        ]
    )


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    for needed in (Path(CHROMIUM), MARKED):
        if not needed.exists():
            pytest.fail(f"{needed} is missing: `python3 tasks.py test` installs it from Debian")
    with serve_in_thread(_ehr_app(), EHR_PORT), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": 1280, "height": 800})
            tab.goto(f"{EHR}/side-panel.html")
            yield tab
        finally:
            browser.close()


def _rendered(page: Page, service_url: str, request: dict[str, Any]) -> list[dict[str, Any]]:
    count = page.evaluate("([url, req]) => showCards(url, req)", [service_url, request])
    cards: list[dict[str, Any]] = page.eval_on_selector_all(
        "#panel article.card",
        """nodes => nodes.map(n => ({
            topic: n.dataset.topic,
            indicator: n.classList.contains("warning") ? "warning" : "info",
            height: n.getBoundingClientRect().height,
            text: n.innerText,
            bullets: n.querySelectorAll(".detail li").length,
            bold: n.querySelectorAll(".detail strong").length,
        }))""",
    )
    assert len(cards) == count
    return cards


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["file"].removesuffix(".json") for e in MANIFEST])
def test_the_summary_card_fits_on_one_screen(
    page: Page, service_url: str, entry: dict[str, Any], tmp_path: Path
) -> None:
    cards = _rendered(page, service_url, load_example(entry["file"]))
    assert len(cards) <= 4
    ranks = [c["indicator"] == "warning" for c in cards]
    assert ranks == sorted(ranks, reverse=True), "the most urgent card comes first"
    for card in cards:
        assert "**" not in card["text"] and "Condition/" not in card["text"], card["topic"]
        assert card["bullets"] >= 1 or card["topic"] == "not-applicable"
    summary = [c for c in cards if c["topic"] == "summary"]
    if summary:
        assert summary[0]["height"] <= 900, f"summary card {summary[0]['height']} px tall"
        assert summary[0]["bold"] >= 1, "the facts heading is rendered as markdown"
    if entry["file"] == SCREENSHOT_OF:
        shot = tmp_path / "side-panel.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 20_000
