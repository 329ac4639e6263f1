"""Which card topics cite each of the 34 recommendations (`sarcoma-cds rules coverage`)."""

from __future__ import annotations

from sarcoma_cds.rules.loader import RuleSet


def coverage(rules: RuleSet) -> dict[str, list[str]]:
    """Recommendation id → topics whose cards can cite it (in Table 5 order)."""
    out: dict[str, list[str]] = {rid: [] for rid in rules.recommendations}
    for rule in rules.rules:
        cited = {r for st in rule.statements for r in st.recommendations}
        for rid in rule.recommendations:
            if rid in cited and rule.topic not in out[rid]:
                out[rid].append(rule.topic)
    return out


def unaccounted(rules: RuleSet) -> list[str]:
    """Recommendations no card cites (each of the 34 drives a card today)."""
    return [rid for rid, topics in coverage(rules).items() if not topics]


def coverage_report(rules: RuleSet) -> str:
    lines = ["recommendation  consensus           topics"]
    for rid, topics in coverage(rules).items():
        rec = rules.recommendations[rid]
        consensus = f"{rec.consensus_percent}% {rec.consensus_class.replace('_', ' ')}"
        where = ", ".join(topics) or "UNACCOUNTED: no card cites it"
        lines.append(f"{rid:<16}{consensus:<20}{where}")
    missing = unaccounted(rules)
    lines.append("")
    lines.append(
        f"{len(rules.recommendations) - len(missing)} of {len(rules.recommendations)} "
        "recommendations accounted for"
        + (f"; UNACCOUNTED: {', '.join(missing)}" if missing else "")
    )
    return "\n".join(lines)
