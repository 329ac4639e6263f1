"""The markdown report: machine, versions, tables with service / floor ratios, targets."""

from __future__ import annotations

import math
import os
import platform
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from bench.floor import request_validator
from bench.inprocess import Hotspot, StageTimes
from bench.loadgen import CellResult

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (
    "fastapi",
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "pydantic",
    "pydantic-core",
    "orjson",
    "httpx",
    "fhir.resources",
)
TARGET_SIZE = 300
Key = tuple[str, int, int, int]  # (target, workers, size, concurrency)


@dataclass
class Report:
    plan_summary: str
    quick: bool
    cells: dict[Key, CellResult] = field(default_factory=dict)
    rss: dict[tuple[str, int, int], list[float]] = field(default_factory=dict)
    stages: list[StageTimes] = field(default_factory=list)
    hotspots: list[Hotspot] = field(default_factory=list)
    areas: list[tuple[str, float]] = field(default_factory=list)
    profile_size: int = 0
    duration_seconds: float = 0.0


def machine() -> list[str]:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total_kb = int(meminfo.read_text().split("MemTotal:", 1)[1].split()[0])
        ram = f"{total_kb / 1024 / 1024:.1f} GiB"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        f"- CPU: {cpu}; {os.cpu_count()} logical cores ({usable} usable by this process)",
        f"- RAM: {ram}",
        f"- OS: {platform.platform()}",
        f"- load average at the end of the run: {', '.join(f'{x:.2f}' for x in os.getloadavg())}",
    ]


def versions() -> list[str]:
    found = []
    for name in PACKAGES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return [
        f"- Python {platform.python_version()} ({platform.python_implementation()})",
        "- " + ", ".join(found),
        f"- sarcoma-cds commit {_commit()}",
    ]


def _commit() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return head + (" with uncommitted changes" if dirty else "")


def _ms(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.2f}"


def _ratio(service: float, floor: float) -> str:
    if math.isnan(service) or math.isnan(floor) or floor == 0:
        return "–"
    return f"{service / floor:.2f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _http_rows(report: Report, workers: int) -> list[list[str]]:
    rows = []
    keys = sorted(k for k in report.cells if k[0] == "floor" and k[1] == workers)
    for _, _, size, concurrency in keys:
        floor = report.cells[("floor", workers, size, concurrency)]
        service = report.cells.get(("service", workers, size, concurrency), CellResult())
        s50, s95, s99 = (service.percentile(q) for q in (0.5, 0.95, 0.99))
        f50, f95, f99 = (floor.percentile(q) for q in (0.5, 0.95, 0.99))
        rows.append(
            [
                str(size),
                str(concurrency),
                f"{len(service.latencies_ms)} / {len(floor.latencies_ms)}",
                f"{service.errors} / {floor.errors}",
                f"{_ms(s50)} / {_ms(s95)} / {_ms(s99)}",
                f"{_ms(f50)} / {_ms(f95)} / {_ms(f99)}",
                _ratio(s50, f50),
                _ratio(s99, f99),
                f"{service.throughput:.1f}" if service.latencies_ms else "–",
                f"{floor.throughput:.1f}",
                _ratio(service.throughput, floor.throughput) if service.latencies_ms else "–",
                str(service.cards) if service.cards is not None else "–",
            ]
        )
    return rows


HTTP_HEADER = [
    "resources",
    "concurrency",
    "requests service / floor",
    "errors service / floor",
    "service p50 / p95 / p99 ms",
    "floor p50 / p95 / p99 ms",
    "p50 ratio",
    "p99 ratio",
    "service req/s",
    "floor req/s",
    "req/s ratio",
    "cards",
]
STAGE_HEADER = [
    "resources",
    "body KiB",
    "floor parse ms",
    "projection ms",
    "derivation ms",
    "parse + profile ms",
    "rules + cards ms",
    "request ms",
    "request / floor",
]


def _stage_rows(stages: list[StageTimes]) -> list[list[str]]:
    return [
        [
            str(s.size),
            f"{s.body_bytes / 1024:.0f}",
            _ms(s.floor_parse),
            _ms(s.projection),
            _ms(s.derivation),
            _ms(s.parse_and_profile),
            _ms(s.rules_and_cards),
            _ms(s.request),
            _ratio(s.request, s.floor_parse),
        ]
        for s in stages
    ]


@dataclass(frozen=True)
class Target:
    name: str
    threshold: str
    measured: str
    met: bool | None  # None: not measured in this run


def targets(report: Report) -> list[Target]:
    def cell(target: str, workers: int, concurrency: int) -> CellResult | None:
        found = report.cells.get((target, workers, TARGET_SIZE, concurrency))
        return found if found is not None and found.latencies_ms else None

    out = []
    service, floor = cell("service", 1, 1), cell("floor", 1, 1)
    if service and floor:
        ratio = service.percentile(0.5) / floor.percentile(0.5)
        out.append(
            Target(
                "p50 service / floor, 300 resources, c=1, 1 worker",
                "≤ 3",
                f"{ratio:.2f}",
                ratio <= 3,
            )
        )
        p99 = service.percentile(0.99)
        out.append(
            Target(
                "service p99, 300 resources, c=1, 1 worker", "≤ 20 ms", f"{p99:.1f} ms", p99 <= 20
            )
        )
    else:
        out.append(
            Target(
                "p50 service / floor and p99, 300 resources, c=1",
                "≤ 3; ≤ 20 ms",
                "not measured",
                None,
            )
        )
    two = cell("service", 2, 8)
    if two:
        rate = two.throughput
        out.append(
            Target(
                "service throughput, 300 resources, c=8, 2 workers",
                "≥ 200 req/s",
                f"{rate:.0f} req/s",
                rate >= 200,
            )
        )
    else:
        out.append(
            Target(
                "service throughput, 300 resources, c=8, 2 workers",
                "≥ 200 req/s",
                "not measured",
                None,
            )
        )
    service_rss = [mb for (t, _, _), mbs in report.rss.items() if t == "service" for mb in mbs]
    if service_rss:
        peak = max(service_rss)
        out.append(
            Target(
                "service peak RSS per worker (any size, any run)",
                "≤ 150 MB",
                f"{peak:.0f} MB",
                peak <= 150,
            )
        )
    else:
        out.append(Target("service peak RSS per worker", "≤ 150 MB", "not measured", None))
    at_size = [s for s in report.stages if s.size == TARGET_SIZE]
    if at_size:
        ms = at_size[0].parse_and_profile
        out.append(
            Target(
                "profile derivation, parse included, 300 resources (in-process)",
                "≤ 15 ms",
                f"{ms:.1f} ms",
                ms <= 15,
            )
        )
    else:
        out.append(
            Target(
                "profile derivation, parse included, 300 resources", "≤ 15 ms", "not measured", None
            )
        )
    request = at_size[0].request if at_size else None
    out.append(
        Target(
            "in-process request (parse, evaluate, serialise), 300 resources",
            "≤ 4 ms",
            "not measured" if request is None else f"{request:.2f} ms",
            None if request is None else request <= 4,
        )
    )
    return out  # fmt: skip


def _verdict(met: bool | None) -> str:
    return {True: "met", False: "**not met**", None: "not measured"}[met]


def render(report: Report, service_measured: bool) -> str:
    floor_parse, _ = request_validator()
    lines = [
        "# Benchmark results",
        "",
        "Produced by `python bench/run.py" + (" --quick" if report.quick else "") + "`"
        f" on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC in {report.duration_seconds:.0f} s."
        " Do not edit by hand; re-run the command.",
        "",
        "## Machine and versions",
        "",
        *machine(),
        *versions(),
        "",
        "## Method",
        "",
        f"- Plan: {report.plan_summary}.",
        "- Service: `sarcoma-cds serve` (uvicorn, the app as deployed, development mode: no JWT"
        " check). Floor: `bench/floor.py` under the same uvicorn, route and body reading; it "
        f'parses with {floor_parse} and answers `{{"cards": []}}`.',
        "- Requests: `bench/generate.py`, one synthetic LMS patient with a metachronous liver"
        " metastasis; the client and the servers share this machine's cores.",
        "- Latency is measured at the httpx client, nearest-rank percentiles; ratio = service /"
        " floor for the same workers, size and concurrency.",
        "",
    ]
    if not service_measured:
        lines += ["**The service app is not on this branch: only the floor was measured.**", ""]
    lines += ["## Targets", ""]
    lines += _table(
        ["target", "threshold", "measured", "verdict"],
        [[t.name, t.threshold, t.measured, _verdict(t.met)] for t in targets(report)],
    )
    workers_measured = sorted({k[1] for k in report.cells})
    for workers in workers_measured:
        lines += ["", f"## HTTP, {workers} worker{'s' if workers > 1 else ''}", ""]
        lines += _table(HTTP_HEADER, _http_rows(report, workers))
    lines += ["", "## Peak RSS per worker (MB, VmHWM, cumulative after each size)", ""]
    sizes = sorted({k[2] for k in report.rss})
    rss_rows = []
    for workers in workers_measured:
        for target in ("service", "floor"):
            if (target, workers, sizes[0]) not in report.rss:
                continue
            row = [target, str(workers)]
            for size in sizes:
                mbs = report.rss[(target, workers, size)]
                row.append(" / ".join(f"{mb:.0f}" for mb in mbs))
            rss_rows.append(row)
        service_rss = report.rss.get(("service", workers, sizes[-1]))
        floor_rss = report.rss.get(("floor", workers, sizes[-1]))
        if service_rss and floor_rss:
            padding = [""] * (len(sizes) - 1)
            ratio = _ratio(max(service_rss), max(floor_rss))
            rss_rows.append(["ratio service / floor", str(workers), *padding, ratio])
    lines += _table(["target", "workers", *[f"after {s} resources" for s in sizes]], rss_rows)
    lines += ["", "## In-process stages (no HTTP; median ms per request)", ""]
    lines += _table(STAGE_HEADER, _stage_rows(report.stages))
    lines += [
        "",
        "Floor parse = orjson + request validation. Parse + profile = orjson + projection +"
        " derivation (issue 3's figure). Request = floor parse + `Engine.evaluate` + orjson of"
        " the cards.",
        "",
        f"## Where the service's time goes (cProfile, {report.profile_size} resources)",
        "",
        "Own time per request, by area (profiler overhead inflates Python-heavy code):",
        "",
    ]
    lines += _table(["area", "own ms"], [[area, f"{ms:.2f}"] for area, ms in report.areas])
    lines += ["", "Top functions by own time:", ""]
    lines += _table(
        ["function", "calls / request", "own ms", "cumulative ms"],
        [
            [f"`{h.where}`", f"{h.calls_per_request:.0f}", _ms(h.own_ms), _ms(h.cumulative_ms)]
            for h in report.hotspots
        ],
    )
    return "\n".join(lines) + "\n"
