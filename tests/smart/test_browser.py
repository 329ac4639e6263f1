"""The clinician's path in a real browser (Chromium, Playwright): the EHR opens the summary card's
`smart` link, the SMART launch runs against the test EHR, and the view shows the whole story."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import sync_playwright
from tests.conftest import load_example
from tests.smart.conftest import EXAMPLE, example_resources, example_today
from tests.support.serve import free_port, serve_in_thread
from tests.support.smart_ehr import SmartEhr

from sarcoma_cds import SERVICE_ID
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
SCREENSHOT = "tumour-board-view.png"


@pytest.fixture
def app_url(ehr: SmartEhr, db_url: str) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    ehr.register("sarcoma-cds", f"{base}/app/callback")
    ehr.token_seconds = 300
    settings = Settings(public_url=base, feedback_db_url=db_url, fetch_timeout_seconds=15)
    app = create_app(settings, today=lambda: example_today(EXAMPLE))
    with serve_in_thread(app, port) as url:
        yield url


def _dates(resource: dict[str, Any]) -> list[str]:
    """The dates a FHIR resource carries, read straight from the JSON (not through the service)."""
    out = []
    for name in ("onsetDateTime", "performedDateTime", "effectiveDateTime"):
        if isinstance(resource.get(name), str):
            out.append(resource[name][:10])
    period = resource.get("performedPeriod") or {}
    out += [period[k][:10] for k in ("start", "end") if isinstance(period.get(k), str)]
    return out


def test_the_card_link_launches_the_view_in_chromium(
    app_url: str, ehr: SmartEhr, tmp_path: Path
) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `python3 tasks.py test` installs Debian's chromium")
    answer = httpx.post(f"{app_url}/cds-services/{SERVICE_ID}", json=load_example(EXAMPLE))
    [summary] = [c for c in answer.json()["cards"] if c.get("links")]
    [link] = summary["links"]
    assert link == {
        "label": "Open the tumour-board view",
        "url": f"{app_url}/app/launch",
        "type": "smart",
    }

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            # The EHR opens the link: it adds iss and a launch id for the patient in context.
            page.goto(f"{ehr.base_url}/ehr/open?patient=pt-29&app={link['url']}")
            page.wait_for_url(f"{app_url}/app/view")
            chart = page.locator("svg.timeline")
            chart.wait_for()
            page.screenshot(path=str(tmp_path / SCREENSHOT), full_page=True)
            texts = chart.locator("text").all_text_contents()
            dfi_label = chart.locator(".span.dfi text")
            dfi_visible = dfi_label.is_visible()
            dfi = dfi_label.text_content() or ""
            cookies = page.context.cookies()
            title = page.title()
        finally:
            browser.close()

    shown = " ".join(texts)
    resources = example_resources(EXAMPLE)
    kinds = {"Condition", "Procedure", "Observation"}
    expected = sorted({d for r in resources if r["resourceType"] in kinds for d in _dates(r)})
    assert len(expected) >= 4
    for day in expected:
        assert day in shown, f"{day} is not on the timeline"
    assert dfi.startswith("DFI 41 months")
    assert dfi_visible
    assert "pt-29" in title
    [cookie] = [c for c in cookies if c["name"] == "sarcoma_cds_app"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert (tmp_path / SCREENSHOT).stat().st_size > 20_000
