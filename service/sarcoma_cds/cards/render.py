"""Card text: fact placeholders in templates, fact lines and recommendation lines in markdown.

Plain GitHub-flavoured markdown, no HTML. Every statement a card makes names its facts and its
recommendations (id, level, strength, consensus), and the three recommendations that did not
reach consensus are labelled so.
"""

from __future__ import annotations

from collections.abc import Mapping

from sarcoma_cds.clinical.facts import Fact, State
from sarcoma_cds.clinical.profile import FACT_KINDS
from sarcoma_cds.rules.schema import PLACEHOLDER, Recommendation

FACT_LABELS = {
    "sts": "Soft tissue sarcoma",
    "gist": "GIST",
    "dfi_months": "Disease-free interval (months)",
    "tfi_months": "Treatment-free interval (months)",
    "asa_class": "ASA class",
    "flr_needs_liver_workup": "FLR needs liver-function work-up",
    "future_liver_remnant_percent": "Future liver remnant (%)",
    "hcc_risk_factors": "HCC risk factors",
    "long_dfi": "Long DFI",
    "tfi_favourable": "Favourable TFI",
    "flr_below_threshold": "FLR below 25 %",
    "primary_site_retroperitoneal": "Retroperitoneal primary (RPS)",
    "not_surgical_candidate": "Not a surgical candidate",
    "recent_ct_abdomen": "Contrast CT abdomen done recently",
    "recent_liver_mri": "Liver MRI done recently",
    "recent_pet_ct": "FDG-PET/CT done recently",
    "recent_brain_mri": "Brain MRI done recently",
    "recent_spine_mri": "Spine MRI done recently",
    "months_since_liver_metastasectomy": "Months since liver metastasectomy",
    "last_surveillance_ct_date": "Last surveillance CT",
    "last_liver_metastasectomy_date": "Last liver metastasectomy",
    "followup_interval": "Follow-up interval",
    "followup_next_due": "Next surveillance CT due",
    "followup_overdue": "Surveillance overdue",
    "liver_metastasis_confirmed": "Liver metastasis confirmed",
    "ecog": "ECOG performance status",
}


def fact_label(name: str) -> str:
    return FACT_LABELS.get(name) or name.replace("_", " ").capitalize()


HISTOLOGY_NAMES = {
    "asps": "alveolar soft part sarcoma",
    "ups": "undifferentiated pleomorphic sarcoma",
    "other_sts": "soft tissue sarcoma",
    "gist": "GIST",
}


def value_text(fact: Fact) -> str:
    if fact.state is not State.KNOWN:
        return fact.state.value
    v = fact.value
    if isinstance(v, str) and v in HISTOLOGY_NAMES:
        return HISTOLOGY_NAMES[v]
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, tuple):
        return ", ".join(x.replace("_", " ") for x in v) or "none"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v).replace("_", " ")


def fill(template: str, facts: Mapping[str, Fact]) -> str:
    def sub(m: object) -> str:
        name, part = m[1], m[2]  # type: ignore[index]
        fact = facts[name]
        if part == "note":
            return fact.note or value_text(fact)
        if part == "reason":
            return fact.reason or value_text(fact)
        if part == "explain":
            return (fact.note or value_text(fact)) if fact.known else (fact.reason or "unknown")
        if not fact.known and FACT_KINDS.get(name) == "category":
            return f"{name.replace('_', ' ')} {fact.state.value}"  # "timing indeterminate"
        return value_text(fact)

    return PLACEHOLDER.sub(sub, template)


def fact_line(name: str, fact: Fact) -> str:
    """`- **Timing**: metachronous — DFI 14 months (…) [Condition/a 2023-01-10; …]`"""
    text = f"- **{fact_label(name)}**: {value_text(fact)}"
    if fact.known and fact.note and fact.note != value_text(fact):
        text += f" — {fact.note}"
    if not fact.known and fact.reason:
        text += f" — {fact.reason}"
    if fact.unconfirmed:
        text += " (rests on an unconfirmed diagnosis)"
    if fact.evidence:
        refs = [f"{e.ref}{' ' + e.date if e.date else ''}" for e in fact.evidence[:4]]
        more = f" +{len(fact.evidence) - 4} more" if len(fact.evidence) > 4 else ""
        text += f" [{'; '.join(refs)}{more}]"
    return text


def consensus_text(r: Recommendation) -> str:
    if not r.consensus_reached:
        return f"{r.consensus_percent}% — **no consensus**"
    return f"{r.consensus_percent}% {r.consensus_class} consensus"


def recommendation_line(r: Recommendation) -> str:
    line = (
        f"- **{r.id}** (evidence {r.level}, strength {r.strength}; {consensus_text(r)}): {r.text}"
    )
    return f"{line} _Note: {r.note}_" if r.note else line


def cite(ids: tuple[str, ...], recs: Mapping[str, Recommendation]) -> str:
    """`(5.3, 8.1)`, with non-consensus ids marked: `(5.5, no consensus)`."""
    parts = [f"{i}, no consensus" if not recs[i].consensus_reached else i for i in ids]
    separator = "; " if any("," in p for p in parts) else ", "
    return f" ({separator.join(parts)})" if parts else ""
