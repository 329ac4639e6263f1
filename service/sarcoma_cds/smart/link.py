"""The summary card's link to the tumour-board view (a CDS Hooks `smart` link).

The EHR opens a `smart` link by launching the app at `url` with its own `iss` and `launch`
parameters, so the URL is the bare absolute launch URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

LABEL = "Open the tumour-board view"
LAUNCH_PATH = "/app/launch"
CARD_EXTENSION = "org.sarcoma-cds"


def launch_url(base: str) -> str:
    return base.rstrip("/") + LAUNCH_PATH


def with_launch_link(cards: Sequence[dict[str, Any]], url: str) -> list[dict[str, Any]]:
    """The cards, the summary card with the link added (the others untouched)."""
    out: list[dict[str, Any]] = []
    for card in cards:
        ext = card.get("extension") if isinstance(card, dict) else None
        own = ext.get(CARD_EXTENSION) if isinstance(ext, dict) else None
        if isinstance(own, dict) and own.get("topic") == "summary":
            link = {"label": LABEL, "url": url, "type": "smart"}
            card = {**card, "links": [*card.get("links", []), link]}
        out.append(card)
    return out
