"""A readable terminal rendering of a CDS Hooks response (`sarcoma-cds demo`), for demos."""

from __future__ import annotations

import re
import textwrap
from typing import Any

_COLOURS = {"info": "34", "warning": "33", "critical": "31"}  # blue, yellow, red
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _c(text: str, code: str, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour else text


def render(title: str, cards: list[dict[str, Any]], colour: bool = True, width: int = 100) -> str:
    out = [_c(f"━━ {title}", "1", colour)]
    if not cards:
        out.append("   (no cards: the consensus does not apply to this patient)")
    for card in cards:
        ind = card["indicator"]
        ext = card["extension"]["org.sarcoma-cds"]
        topic = " + ".join(s["topic"] for s in ext.get("sections", [])) or ext["topic"]
        out.append("")
        out.append(
            _c(f"[{ind.upper():7}]", _COLOURS[ind], colour) + " " + _c(card["summary"], "1", colour)
        )
        out.append(_c(f"          {topic} · {card['source']['label']}", "2", colour))
        for line in card.get("detail", "").splitlines():
            plain = _BOLD.sub(lambda m: _c(m[1], "1", colour), line)
            for wrapped in textwrap.wrap(plain, width - 10, subsequent_indent="    ") or [""]:
                out.append("          " + wrapped)
        for sug in card.get("suggestions", []):
            out.append("          " + _c(f"➜ suggestion: {sug['label']}", "32", colour))
    return "\n".join(out)
