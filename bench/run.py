"""The benchmark, in one command: service vs floor over HTTP, in-process stages, targets.

    python bench/run.py            # the full run (about 10 minutes), writes bench/RESULTS.md
    python bench/run.py --quick    # smallest size, few requests (about 15 s), for a smoke check

Starts the real service (`sarcoma-cds serve`) and the floor (`bench/floor.py`) under uvicorn on
127.0.0.1 with 1 and 2 workers, drives each with closed-loop httpx clients at concurrency 1, 8
and 32 for every request size, bounded by a request count and a time limit per cell, and writes
a markdown report: machine, versions, date, latency / throughput / peak RSS with the ratio
service / floor, the in-process stage times, the targets met or not, and a cProfile of the
service's work at the target size.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":  # run as a script: make `bench` and `sarcoma_cds` importable
    sys.path[:0] = [str(ROOT), str(ROOT / "service")]

from bench.generate import request_body  # noqa: E402
from bench.loadgen import CellResult, drive, wait_healthy  # noqa: E402
from bench.report import (  # noqa: E402
    TARGET_SIZE,
    Key,
    Population,
    Report,
    RunFigures,
    render,
    run_figures,
)
from bench.servers import running  # noqa: E402

PATH = "/cds-services/sts-liver-metastases"


@dataclass(frozen=True)
class Plan:
    sizes: list[int]
    concurrency: list[int]
    workers: list[int]
    requests: int
    seconds: float
    warmup_seconds: float
    inprocess_sizes: list[int]
    inprocess_budget: float
    profile_size: int
    profile_runs: int
    targets: list[str] = field(default_factory=lambda: ["floor", "service"])
    runs: int = 1  # the full run, then runs - 1 repeats of the target cells (spread)
    population_patients: int = 0  # 0: no population screening line


FULL = Plan(
    sizes=[10, 100, 300, 1000],
    concurrency=[1, 8, 32],
    workers=[1, 2],
    requests=400,
    seconds=8.0,
    warmup_seconds=2.0,
    inprocess_sizes=[10, 30, 100, 300, 1000, 3000],
    inprocess_budget=1.5,
    profile_size=300,
    profile_runs=30,
    runs=3,
    population_patients=20_000,  # bench/population.py's default export
)
QUICK = Plan(
    sizes=[10],
    concurrency=[1, 8],
    workers=[1],
    requests=20,
    seconds=2.0,
    warmup_seconds=0.3,
    inprocess_sizes=[10],
    inprocess_budget=0.1,
    profile_size=10,
    profile_runs=3,
)


def service_available() -> bool:
    """The web app arrives on its own branch; until then only the floor can be measured."""
    import importlib.util

    return all(
        importlib.util.find_spec(name) is not None
        for name in ("sarcoma_cds.web.app", "sarcoma_cds.cli")
    )


async def _warm_up(url: str, body: bytes, workers: int, seconds: float) -> None:
    """Traffic on every worker before measuring: imports, caches and the allocator settle."""
    await drive(url, body, concurrency=2 * workers, max_requests=10_000, max_seconds=seconds)


# The cells the targets are read from, (workers, concurrency) at TARGET_SIZE: what a repeat runs.
TARGET_CELLS = {(1, 1), (2, 8)}


def run_http(
    plan: Plan,
    cells: dict[Key, CellResult],
    rss: dict[tuple[str, int, int], list[float]],
    workdir: Path,
    only_targets: bool = False,
) -> None:
    sizes = [TARGET_SIZE] if only_targets else plan.sizes
    bodies = {size: request_body(size) for size in sizes}
    for target in plan.targets:
        for workers in plan.workers:
            wanted = [
                c for c in plan.concurrency if not only_targets or (workers, c) in TARGET_CELLS
            ]
            if not wanted:
                continue
            with running(target, workers, workdir) as server:
                asyncio.run(wait_healthy(server.base_url, timeout=60))
                server.wait_for_workers(timeout=60)
                url = server.base_url + PATH
                asyncio.run(_warm_up(url, bodies[sizes[0]], workers, plan.warmup_seconds))
                for size in sizes:
                    for concurrency in wanted:
                        gc.collect()
                        gc.freeze()  # the client's long-lived objects: out of its GC's way
                        before = server.cpu_seconds()
                        cell: CellResult = asyncio.run(
                            drive(url, bodies[size], concurrency, plan.requests, plan.seconds)
                        )
                        cell.worker_cpu_seconds = tuple(
                            after - start
                            for after, start in zip(server.cpu_seconds(), before, strict=True)
                        )
                        cells[(target, workers, size, concurrency)] = cell
                        _progress(target, workers, size, concurrency, cell)
                    rss[(target, workers, size)] = server.peak_rss_mb()


def _service_rss(rss: dict[tuple[str, int, int], list[float]]) -> list[float]:
    return [mb for (target, _, _), mbs in rss.items() if target == "service" for mb in mbs]


def inprocess_request_ms(plan: Plan) -> float:
    """The in-process request at TARGET_SIZE, measured in a fresh process (the engine stays
    out of the client's heap), right after the run's HTTP cells: each run's figure comes from
    its own window of the machine's load."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "service"), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "-m", "bench.inprocess", str(TARGET_SIZE), str(plan.inprocess_budget)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.split()[-1])


def repeat_targets(plan: Plan, workdir: Path) -> RunFigures:
    """A repeat of the target cells, every server started afresh (the spread of issue 18)."""
    cells: dict[Key, CellResult] = {}
    rss: dict[tuple[str, int, int], list[float]] = {}
    run_http(plan, cells, rss, workdir, only_targets=True)
    return run_figures(cells, _service_rss(rss), inprocess_request_ms(plan))


def _progress(target: str, workers: int, size: int, concurrency: int, cell: CellResult) -> None:
    print(
        f"{target:7} w={workers} n={size:<5} c={concurrency:<3} "
        f"p50 {cell.percentile(0.5):7.2f} ms  p99 {cell.percentile(0.99):7.2f} ms  "
        f"{cell.throughput:7.1f} req/s  ({len(cell.latencies_ms)} ok, {cell.errors} errors)",
        file=sys.stderr,
        flush=True,
    )


def run_inprocess(plan: Plan, report: Report) -> None:
    """The stage table and the profile, in this process after the HTTP runs."""
    from bench.inprocess import hotspots, measure, settle_heap
    from sarcoma_cds.pipeline import Engine
    from sarcoma_cds.settings import Settings

    engine = Engine.load(Settings())
    settle_heap()
    for size in plan.inprocess_sizes:
        report.stages.append(measure(engine, size, plan.inprocess_budget))
        print(f"in-process n={size} done", file=sys.stderr, flush=True)
    report.profile_size = plan.profile_size
    report.hotspots, report.areas = hotspots(engine, plan.profile_size, plan.profile_runs, top=15)


def run_population(patients: int, workdir: Path) -> Population:
    """`sarcoma-cds screen` with the default engine on a seeded export, and its floor
    (bench/population.py's measures, at a size that fits in this run)."""
    from bench.population import floor, screen
    from bench.population_export import generate

    folder = workdir / "export"
    generate(folder, patients, 3.0, 16)
    floor(folder)  # warm the page cache, as bench/population.py does
    floor_seconds, lines, _ = floor(folder)
    run = screen(folder, workdir / "screen", "local")
    print(f"population: {patients} patients in {run.seconds:.1f} s", file=sys.stderr, flush=True)
    return Population(patients, lines, floor_seconds, run.seconds, run.rows.count(b"\n") - 1)


def parse_args(argv: list[str] | None) -> tuple[Plan, Path, bool]:
    parser = argparse.ArgumentParser(description="service vs floor benchmark (loopback only)")
    parser.add_argument("--quick", action="store_true", help="smallest size, a few requests")
    parser.add_argument("--out", type=Path, help="report path (default bench/RESULTS.md)")
    parser.add_argument("--requests", type=int, help="max measured requests per cell")
    parser.add_argument("--seconds", type=float, help="max seconds per cell")
    parser.add_argument(
        "--runs", type=int, help="the full run plus repeats of the target cells (default 3)"
    )
    parser.add_argument(
        "--population",
        type=int,
        metavar="PATIENTS",
        help="patients screened for the population line (default 20000; 0: none)",
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.runs is not None or args.population is not None:
        if (args.runs is not None and args.runs < 1) or (
            args.population is not None and args.population < 0
        ):
            parser.error("--runs must be ≥ 1 and --population ≥ 0")
        plan = Plan(
            **{
                **plan.__dict__,
                "runs": plan.runs if args.runs is None else args.runs,
                "population_patients": (
                    plan.population_patients if args.population is None else args.population
                ),
            }
        )
    if args.requests is not None or args.seconds is not None:
        if (args.requests is not None and args.requests < 1) or (
            args.seconds is not None and args.seconds <= 0
        ):
            parser.error("--requests must be ≥ 1 and --seconds > 0")
        plan = Plan(
            **{
                **plan.__dict__,
                "requests": args.requests or plan.requests,
                "seconds": args.seconds or plan.seconds,
            }
        )
    default_out = ROOT / "bench" / ("RESULTS.quick.md" if args.quick else "RESULTS.md")
    return plan, args.out or default_out, args.quick


def main(argv: list[str] | None = None) -> int:
    plan, out, quick = parse_args(argv)
    if not service_available():
        print("sarcoma_cds.web is not on this branch: measuring the floor only", file=sys.stderr)
        plan = Plan(**{**plan.__dict__, "targets": ["floor"]})
    report = Report(plan_summary=_describe(plan), quick=quick)
    started = time.perf_counter()
    # HTTP first: the in-process part loads the engine into this (the client's) process, and a
    # larger heap here would lengthen the client's own garbage collections inside the timings.
    with tempfile.TemporaryDirectory(prefix="sarcoma-bench-") as workdir:
        run_http(plan, report.cells, report.rss, Path(workdir))
        measured = inprocess_request_ms(plan) if "service" in plan.targets else math.nan
        report.runs = [run_figures(report.cells, _service_rss(report.rss), measured)]
        for i in range(plan.runs - 1):
            print(f"repeat {i + 2} of {plan.runs}: target cells", file=sys.stderr, flush=True)
            (Path(workdir) / f"repeat-{i}").mkdir()
            report.runs.append(repeat_targets(plan, Path(workdir) / f"repeat-{i}"))
    run_inprocess(plan, report)
    if plan.population_patients and "service" in plan.targets:
        with tempfile.TemporaryDirectory(prefix="sarcoma-population-") as workdir:
            report.population = run_population(plan.population_patients, Path(workdir))
    report.duration_seconds = time.perf_counter() - started
    out.write_text(render(report, service_measured="service" in plan.targets))
    print(f"wrote {out}", file=sys.stderr)
    return 0


def _describe(plan: Plan) -> str:
    return (
        f"sizes {plan.sizes} resources; concurrency {plan.concurrency}; workers {plan.workers}; "
        f"per cell at most {plan.requests} measured requests or {plan.seconds:g} s, after one "
        f"discarded request per connection; {plan.warmup_seconds:g} s of warm-up traffic per "
        f"server start; {plan.runs} run(s): the full run, then repeats of the target cells"
    )


if __name__ == "__main__":
    raise SystemExit(main())
