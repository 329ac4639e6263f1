"""Dependency floors past known advisories (issue 17, F15): no version pyproject.toml admits is
one an advisory names, for the packages that parse what a caller sends (HTTP, JWT, templates)."""

from __future__ import annotations

import tomllib

import pytest
from packaging.requirements import Requirement
from tests.conftest import ROOT

# package -> (advisory, last affected version); checked with the `search` tool on 2026-11-30.
ADVISORIES = {
    "starlette": ("CVE-2025-62727 Range header O(n^2)", "0.49.0"),
    "h11": ("CVE-2025-43859 chunked-encoding leniency", "0.15.0"),
    "pyjwt": ("CVE-2026-48526 JWK use with HMAC", "2.12.1"),
    "jinja2": ("CVE-2025-27516 sandbox escape", "3.1.5"),
    "authlib": ("CVE-2026-41425 / CVE-2026-44681", "1.7.1"),
    "cryptography": ("CVE-2024-12797", "44.0.0"),
}


def runtime_requirements() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    found = (Requirement(line) for line in project["dependencies"])
    return {req.name.lower(): req for req in found}


@pytest.mark.parametrize("package", sorted(ADVISORIES))
def test_no_admitted_version_is_affected(package: str) -> None:
    advisory, last_affected = ADVISORIES[package]
    requirement = runtime_requirements().get(package)
    assert requirement is not None, f"{package} needs its own floor ({advisory})"
    assert not requirement.specifier.contains(last_affected, prereleases=True), (
        f"{requirement} admits {package} {last_affected} ({advisory})"
    )


def test_the_lock_pins_versions_within_the_floors() -> None:
    pins = {}
    for line in (ROOT / "requirements" / "test.lock").read_text().splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            name, version = line.split("==", 1)
            pins[name.strip().lower()] = version.strip()
    for package, requirement in runtime_requirements().items():
        if package in ADVISORIES:
            assert requirement.specifier.contains(pins[package]), (package, pins[package])
