"""The example patients as a FHIR Bulk Data export: NDJSON, one line per resource.

Each example request's prefetch (resources, searchset Bundles, raw Synthea transaction Bundles)
becomes lines of its resource type's file, as an EHR's `$export` would write them: references
to a Bundle entry's `urn:uuid:` fullUrl become `Type/id`, the form a server exports.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.conftest import load_example, load_manifest


def _resources(value: Any) -> Iterator[tuple[str | None, dict[str, Any]]]:
    if isinstance(value, list):
        for item in value:
            yield from _resources(item)
    elif isinstance(value, dict):
        if value.get("resourceType") == "Bundle":
            for entry in value.get("entry") or []:
                if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
                    yield entry.get("fullUrl"), entry["resource"]
        elif value.get("resourceType") != "OperationOutcome":
            yield None, value


def _rewrite(node: Any, urls: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {k: _rewrite(v, urls) for k, v in node.items()}
        ref = out.get("reference")
        if isinstance(ref, str) and ref in urls:
            out["reference"] = urls[ref]
        return out
    if isinstance(node, list):
        return [_rewrite(v, urls) for v in node]
    return node


def example_resources(name: str) -> list[dict[str, Any]]:
    request = load_example(name)
    pairs = [p for v in request["prefetch"].values() for p in _resources(v)]
    urls = {u: f"{r['resourceType']}/{r['id']}" for u, r in pairs if u and "id" in r}
    seen: set[tuple[str, str]] = set()
    out = []
    for _, r in pairs:
        key = (r["resourceType"], str(r.get("id")))
        if key in seen:
            continue  # the same resource under two prefetch keys
        seen.add(key)
        out.append(_rewrite(r, urls))
    return out


def example_patient_ids() -> dict[str, str]:
    """Example file → its patient id."""
    return {e["file"]: load_example(e["file"])["context"]["patientId"] for e in load_manifest()}


def write_export(
    folder: Path, *, gzipped: bool = False, mixed: bool = False, files: list[str] | None = None
) -> list[dict[str, Any]]:
    """Write the examples as `<Type>.ndjson` (or `.ndjson.gz`); `mixed`: everything in two
    files whose names say nothing of their types. Returns the resources written."""
    folder.mkdir(parents=True, exist_ok=True)
    names = files or [e["file"] for e in load_manifest()]
    resources = [r for name in names for r in example_resources(name)]
    by_file: dict[str, list[dict[str, Any]]] = {}
    for i, r in enumerate(resources):
        stem = f"part-{i % 2}" if mixed else r["resourceType"]
        by_file.setdefault(stem, []).append(r)
    for stem, items in by_file.items():
        text = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in items)
        if gzipped:
            with gzip.open(folder / f"{stem}.ndjson.gz", "wt", encoding="utf-8") as f:
                f.write(text)
        else:
            (folder / f"{stem}.ndjson").write_text(text, encoding="utf-8")
    return resources
