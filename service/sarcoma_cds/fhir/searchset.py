"""What a prefetch value says about itself: an OperationOutcome in place of data, a searchset
with more pages, or a search the EHR reports as failed (CDS Hooks 2.0 "Prefetch template":
services SHOULD check prefetched data for OperationOutcomes).

Shared by `prefetch` (which names the gap) and `fetch` (which fetches what is missing).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeGuard

_FAILED_SEVERITIES = frozenset({"error", "fatal"})


def is_operation_outcome(value: Any) -> TypeGuard[dict[str, Any]]:
    return isinstance(value, dict) and value.get("resourceType") == "OperationOutcome"


def has_failed_issue(outcome: Mapping[str, Any]) -> bool:
    issues = outcome.get("issue")
    return isinstance(issues, list) and any(
        isinstance(issue, dict) and issue.get("severity") in _FAILED_SEVERITIES for issue in issues
    )


def issue_codes(data: Mapping[str, Any] | None) -> str:
    """` (OperationOutcome: login)`: issue codes are a fixed vocabulary, unlike diagnostics
    text, which may echo the request."""
    if not is_operation_outcome(data) or data is None:
        return ""
    issues = data.get("issue")
    codes = sorted(
        {
            issue["code"]
            for issue in (issues if isinstance(issues, list) else [])
            if isinstance(issue, dict)
            and isinstance(issue.get("code"), str)
            and re.fullmatch(r"[a-z-]{1,40}", issue["code"])
        }
    )
    return f" (OperationOutcome: {', '.join(codes)})" if codes else ""


def is_bundle(value: Any) -> TypeGuard[dict[str, Any]]:
    return isinstance(value, dict) and value.get("resourceType") == "Bundle"


def has_next_page(bundle: Mapping[str, Any]) -> bool:
    links = bundle.get("link")
    return isinstance(links, list) and any(
        isinstance(link, dict) and link.get("relation") == "next" for link in links
    )


def failed_search_outcome(bundle: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The first error- or fatal-severity OperationOutcome among the searchset's entries."""
    entries = bundle.get("entry")
    for entry in entries if isinstance(entries, list) else []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        # `is_operation_outcome` inline: a call per entry was most of this scan (issue 18)
        if (
            isinstance(resource, dict)
            and resource.get("resourceType") == "OperationOutcome"
            and has_failed_issue(resource)
        ):
            return resource
    return None


def unreadable_reason(value: Any) -> str | None:
    """Why a prefetch value does not hold all the data its query asked for, or None when it
    does (a resource, a complete Bundle, a list or null)."""
    if is_operation_outcome(value):
        return f"the EHR sent an error instead of the data{issue_codes(value)}"
    if not is_bundle(value):
        return None
    return searchset_reason(value, failed_search_outcome(value))


def searchset_reason(bundle: Mapping[str, Any], failed: Mapping[str, Any] | None) -> str | None:
    """`unreadable_reason` of a Bundle whose `failed_search_outcome` the caller found in its
    own pass over the entries (`prefetch` reads each entry once: issue 18)."""
    if failed is not None:
        return f"the EHR reported an error in the search{issue_codes(failed)}"
    if has_next_page(bundle):
        return "only the first of several pages was sent"
    return None


def resource_types_in(prefetch: Mapping[str, Any]) -> frozenset[str]:
    """The resourceTypes present in the prefetch values (resources, Bundles, lists), cheaply."""
    found: set[str] = set()
    for value in prefetch.values():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if not isinstance(item, dict):
                continue
            if item.get("resourceType") == "Bundle" and isinstance(item.get("entry"), list):
                for e in item["entry"]:
                    res = e.get("resource") if isinstance(e, dict) else None
                    rtype = res.get("resourceType") if isinstance(res, dict) else None
                    if isinstance(rtype, str):
                        found.add(rtype)
            elif isinstance(item.get("resourceType"), str):
                found.add(item["resourceType"])
    return frozenset(found)
