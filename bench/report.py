"""The markdown report: machine, versions, tables with service / floor ratios, targets."""

from __future__ import annotations

import math
import os
import platform
import statistics
import subprocess
from collections.abc import Callable
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


@dataclass(frozen=True)
class RunFigures:
    """The target figures of one run (the full run, or a repeat of its target cells)."""

    floor_p50: float  # ms, 300 resources, c=1, 1 worker
    service_p50: float
    service_p99: float
    rate_two_workers: float  # req/s, 300 resources, c=8, 2 workers
    request_ms: float  # in-process request, 300 resources (median)
    peak_rss_mb: float  # the service's workers
    # the 2-worker cell's CPU seconds per worker: connections are not spread evenly between them
    two_workers_cpu: tuple[float, ...] = ()

    @property
    def ratio(self) -> float:
        return _div(self.service_p50, self.floor_p50)


@dataclass(frozen=True)
class Population:
    """`sarcoma-cds screen` (default engine) on a seeded export, against its floor."""

    patients: int
    lines: int
    floor_seconds: float
    screen_seconds: float
    worklist_rows: int


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
    runs: list[RunFigures] = field(default_factory=list)  # the first is the full run's
    population: Population | None = None


def _div(a: float, b: float) -> float:
    return a / b if b and not (math.isnan(a) or math.isnan(b)) else math.nan


def _p(cell: CellResult | None, q: float) -> float:
    return cell.percentile(q) if cell is not None and cell.latencies_ms else math.nan


def run_figures(cells: dict[Key, CellResult], rss_mb: list[float], request_ms: float) -> RunFigures:
    two = cells.get(("service", 2, TARGET_SIZE, 8))
    return RunFigures(
        floor_p50=_p(cells.get(("floor", 1, TARGET_SIZE, 1)), 0.5),
        service_p50=_p(cells.get(("service", 1, TARGET_SIZE, 1)), 0.5),
        service_p99=_p(cells.get(("service", 1, TARGET_SIZE, 1)), 0.99),
        rate_two_workers=two.throughput if two is not None and two.latencies_ms else math.nan,
        two_workers_cpu=two.worker_cpu_seconds if two is not None else (),
        request_ms=request_ms,
        peak_rss_mb=max(rss_mb, default=math.nan),
    )


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


def _spread(values: list[float], fmt: str, unit: str = "") -> tuple[str, float]:
    """'median unit (min–max over n runs)' and the median the verdict is taken on."""
    values = [v for v in values if not math.isnan(v)]
    mid = statistics.median(values)
    text = f"{mid:{fmt}}{unit}"
    if len(values) > 1:
        text += f" ({min(values):{fmt}}–{max(values):{fmt}} over {len(values)} runs)"
    return text, mid


def _measured(runs: list[RunFigures], figure: Callable[[RunFigures], float]) -> bool:
    return any(not math.isnan(figure(r)) for r in runs)


def targets(report: Report) -> list[Target]:
    """The targets on the median of the runs, the spread beside it (issue 18: three runs)."""
    runs = report.runs
    checks: list[tuple[str, str, Callable[[RunFigures], float], str, str, bool]] = [
        (
            "p50 service / floor, 300 resources, c=1, 1 worker",
            "≤ 3",
            lambda r: r.ratio,
            ".2f",
            "",
            False,
        ),
        (
            "service p99, 300 resources, c=1, 1 worker",
            "≤ 20 ms",
            lambda r: r.service_p99,
            ".1f",
            " ms",
            False,
        ),
        (
            "service throughput, 300 resources, c=8, 2 workers",
            "≥ 200 req/s",
            lambda r: r.rate_two_workers,
            ".0f",
            " req/s",
            True,
        ),
        (
            "in-process request (parse, evaluate, serialise), 300 resources, CPU time",
            "≤ 4 ms",
            lambda r: r.request_ms,
            ".2f",
            " ms",
            False,
        ),
    ]
    limits = {"≤ 3": 3.0, "≤ 20 ms": 20.0, "≥ 200 req/s": 200.0, "≤ 4 ms": 4.0}
    out = []
    for name, threshold, figure, fmt, unit, at_least in checks:
        if not _measured(runs, figure):
            out.append(Target(name, threshold, "not measured", None))
            continue
        text, mid = _spread([figure(r) for r in runs], fmt, unit)
        limit = limits[threshold]
        out.append(Target(name, threshold, text, mid >= limit if at_least else mid <= limit))
    rss = [r.peak_rss_mb for r in runs if not math.isnan(r.peak_rss_mb)]
    out.insert(
        3,
        Target(
            "service peak RSS per worker (any size, any run)",
            "≤ 150 MB",
            f"{max(rss):.0f} MB" if rss else "not measured",
            max(rss) <= 150 if rss else None,
        ),
    )
    at_size = [s for s in report.stages if s.size == TARGET_SIZE]
    if at_size:
        ms = at_size[0].parse_and_profile
        derivation = Target(
            "profile derivation, parse included, 300 resources (in-process)",
            "≤ 15 ms",
            f"{ms:.1f} ms",
            ms <= 15,
        )
    else:
        derivation = Target(
            "profile derivation, parse included, 300 resources", "≤ 15 ms", "not measured", None
        )
    out.insert(4, derivation)
    return out  # fmt: skip


def _verdict(met: bool | None) -> str:
    return {True: "met", False: "**not met**", None: "not measured"}[met]


def _runs_section(report: Report) -> list[str]:
    if not report.runs:
        return []
    lines = [
        "",
        f"## Runs ({len(report.runs)}; verdicts above on their median)",
        "",
        "Run 1 is the full run below; the others repeat only the target cells (300 resources:"
        " service and floor at c=1 with 1 worker and c=8 with 2 workers, each server started"
        " afresh). Each run's in-process request is its median CPU time per call, measured in a"
        " fresh process right after the run's HTTP cells (`python -m bench.inprocess 300`: on a"
        " shared machine, wall time would also count the time other work kept it off a core);"
        " the stage table below is wall time, measured once, at the end. The 2-worker cell's CPU"
        " seconds per worker show how its 8 connections spread between the workers (uvicorn's"
        " workers accept from one shared socket: an idle worker may take all of them).",
        "",
    ]
    rows = [
        [
            str(i),
            _ms(r.floor_p50),
            _ms(r.service_p50),
            _ms(r.ratio),
            _ms(r.service_p99),
            "–" if math.isnan(r.rate_two_workers) else f"{r.rate_two_workers:.0f}",
            " / ".join(f"{s:.1f}" for s in r.two_workers_cpu) or "–",
            _ms(r.request_ms),
            "–" if math.isnan(r.peak_rss_mb) else f"{r.peak_rss_mb:.0f}",
        ]
        for i, r in enumerate(report.runs, start=1)
    ]
    return lines + _table(RUNS_HEADER, rows)


RUNS_HEADER = [
    "run",
    "floor p50 ms",
    "service p50 ms",
    "p50 ratio",
    "service p99 ms",
    "2 workers c=8 req/s",
    "its CPU s per worker",
    "in-process request ms",
    "service peak RSS MB",
]


def _population_section(population: Population | None) -> list[str]:
    if population is None:
        return []
    p = population
    return [
        "",
        "## Population screening (issue 16, default engine)",
        "",
        f"{p.patients} patients ({p.lines} NDJSON lines, `bench/population_export.py`, seed 16):"
        f" `sarcoma-cds screen` {p.screen_seconds:.1f} s ="
        f" **{p.patients / p.screen_seconds:.0f} patients/s** ({p.worklist_rows} on the"
        f" worklist), {_div(p.screen_seconds, p.floor_seconds):.1f} × its floor (read and orjson"
        f" every line, {p.floor_seconds:.2f} s). The default engine only; both engines and"
        " their memory: `bench/population.py` (bench/POPULATION_RESULTS.md).",
    ]


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
        " check). Floor: `bench/floor.py` under the same uvicorn server stack as `serve`"
        " (asyncio loop, h11 with TCP_NODELAY, the same header limit), route and body reading; it "
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
    lines += _runs_section(report)
    lines += _population_section(report.population)
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
