"""The site facts of the current metastases (clinical-logic §1.4; 1.2): the sites and their
count, liver only, liver and lung only, diffuse involvement (or possibly diffuse, said in
clinical words), the extrahepatic sites and whether any lies beyond the lung, and new
extrahepatic disease after the last liver-directed treatment. Never "liver only" by silence: a
site not coded, or an unread diagnosis that reads like a metastasis, keeps the sites open.
"""

from __future__ import annotations

from sarcoma_cds.clinical.facts import Fact
from sarcoma_cds.clinical.honesty import Doubts
from sarcoma_cds.clinical.metastases import Metastasis
from sarcoma_cds.clinical.resources import Proc

DIFFUSE = frozenset({"peritoneal", "pleural", "pericardial", "leptomeningeal"})
# Ambiguous codes: counted as a site, and make diffuse involvement indeterminate.
# Said in clinical words, not codes (clinical-logic §3): the card names the next step.
POSSIBLY_DIFFUSE = {
    "retroperitoneum_or_peritoneum": (
        "a metastasis is coded only as 'retroperitoneum or peritoneum', with no site recorded: "
        "if it is peritoneal sarcomatosis it excludes oligometastatic disease; record the site "
        "from the abdominal CT"
    ),
    "possible_leptomeningeal": (
        "a metastasis is coded only as 'meninges or nervous system', with no site recorded: if "
        "it is leptomeningeal it excludes oligometastatic disease; record the site from the "
        "imaging report"
    ),
}

SITE_FACTS = (
    "metastatic_sites",
    "site_count",
    "liver_only",
    "liver_and_lung_only",
    "diffuse_involvement",
)


def site_facts(
    current: list[Metastasis], unread: list[str] | None = None, doubts: Doubts | None = None
) -> dict[str, Fact]:
    """`unread`: diagnoses no value set reads that read like a metastasis outside the liver
    (clinical-logic 1.1): the sites are then open, never "liver only" by silence."""
    f: dict[str, Fact] = {}
    ev = [m.evidence for m in current]
    sites = sorted({m.site for m in current if m.site})
    unknown_site = [m for m in current if m.site is None]
    diffuse = sorted(set(sites) & DIFFUSE)
    possible = [POSSIBLY_DIFFUSE[s] for s in sites if s in POSSIBLY_DIFFUSE]
    if unknown_site or (unread and doubts is not None):
        reason = (
            "a metastasis is coded without its site ("
            + ", ".join(m.dx.label() for m in unknown_site)
            + "); a bodySite would settle it"
            if unknown_site
            else doubts.reason("a further metastasis", unread or [])  # type: ignore[union-attr]
            + "; code it with its site, or record it as refuted if it is not a metastasis"
        )
        f["metastatic_sites"] = Fact.indeterminate(reason, ev)
        f["site_count"] = Fact.indeterminate(f"at least {max(len(sites), 1)} site(s); {reason}", ev)
        f["liver_only"] = Fact.indeterminate(reason, ev)
        f["liver_and_lung_only"] = Fact.indeterminate(reason, ev)
    else:
        f["metastatic_sites"] = Fact.of(tuple(sites), ev)
        f["site_count"] = Fact.of(len(sites), ev)
        f["liver_only"] = Fact.of(bool(sites) and set(sites) == {"liver"}, ev)
        f["liver_and_lung_only"] = Fact.of(set(sites) == {"liver", "lung"}, ev)
    if diffuse:
        f["diffuse_involvement"] = Fact.of(
            True,
            [m.evidence for m in current if m.site in DIFFUSE],
            note="diffuse " + ", ".join(diffuse) + " involvement",
        )
    elif possible or unknown_site:
        f["diffuse_involvement"] = Fact.indeterminate(
            "; ".join(possible) or "a metastasis site is not coded", ev
        )
    else:
        f["diffuse_involvement"] = Fact.of(False, ev, note="no diffuse involvement recorded")
    return f


def extrahepatic_facts(
    f: dict[str, Fact], current: list[Metastasis], last_local: Proc | None
) -> dict[str, Fact]:
    """Extrahepatic sites (never "liver"), whether any lies beyond the lung (the paper's caution,
    §3.1), and new extrahepatic disease after liver-directed treatment."""
    out: dict[str, Fact] = {}
    sites = f["metastatic_sites"]
    extra = [m for m in current if m.site != "liver"]
    ev = [m.evidence for m in extra]
    if sites.known and isinstance(sites.value, tuple):
        names = tuple(s for s in sites.value if s != "liver")
        out["extrahepatic_sites"] = Fact.of(names, ev)
        beyond = [s for s in names if s != "lung"]
        out["extrapulmonary_extrahepatic"] = Fact.of(
            bool(beyond),
            ev,
            note=", ".join(s.replace("_", " ") for s in beyond) or "none beyond the lung",
        )
    else:
        reason = sites.reason or "metastatic sites unknown"
        out["extrahepatic_sites"] = Fact(state=sites.state, reason=reason, evidence=tuple(ev))
        out["extrapulmonary_extrahepatic"] = Fact(
            state=sites.state, reason=reason, evidence=tuple(ev)
        )
    out["new_extrahepatic_disease"] = _new_extrahepatic(extra, last_local, sites)
    return out


def _new_extrahepatic(extra: list[Metastasis], last_local: Proc | None, sites: Fact) -> Fact:
    done = (last_local.end or last_local.start) if last_local else None
    if last_local is None or done is None:
        return Fact.not_applicable("no dated liver-directed treatment recorded")
    if not sites.known and not extra:
        return Fact.unknown(sites.reason or "metastatic sites unknown")
    after = [m for m in extra if not m.dx.repeat and m.dx.date and m.dx.date.earliest > done.latest]
    unclear = [
        m
        for m in extra
        if m not in after and (m.dx.date is None or m.dx.date.latest > done.earliest)
    ]
    local_ev = last_local.evidence(last_local.label())
    if after:
        names = sorted({(m.site or "site unknown").replace("_", " ") for m in after})
        first = min((m.dx.date for m in after if m.dx.date), key=lambda i: i.earliest)
        return Fact.of(
            True,
            [local_ev, *(m.evidence for m in after)],
            note=f"New {', '.join(names)} metastasis {first.text} after "
            f"{last_local.label().lower()} on {done.text}",
        )
    if unclear:
        return Fact.indeterminate(
            f"an extrahepatic metastasis may be dated before or after the {last_local.label()} "
            f"of {done.text}",
            [local_ev, *(m.evidence for m in unclear)],
        )
    return Fact.of(False, [local_ev], note=f"no extrahepatic metastasis recorded after {done.text}")
