"""In-process figures (no HTTP): what each stage of one patient-view request costs, and where.

Stages, each the median of many runs with time.perf_counter:
- floor parse: orjson + the service's request validator (what the floor endpoint does);
- projection: prefetch → typed resources (`collect`), on the already-parsed JSON;
- derivation: resources → MetastaticProfile (`derive_profile`);
- parse + profile: the three above in one (issue 3's "profile derivation, parse included");
- rules + cards: `build_cards` on the derived profile;
- request: floor parse + `Engine.evaluate` + orjson of the cards, i.e. the service's work.

The heap is settled as the served process settles it after start-up (`settle_heap`): the rules
and value sets frozen out of the garbage collector, a higher gen-0 threshold.
"""

from __future__ import annotations

import cProfile
import gc
import pstats
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from bench.floor import request_validator
from bench.generate import PATIENT_ID, request_body
from sarcoma_cds.cards.builder import build_cards
from sarcoma_cds.clinical.profile import derive_profile
from sarcoma_cds.fhir.prefetch import collect
from sarcoma_cds.pipeline import Engine

TODAY = date(2025, 9, 1)  # fixed, so the figures never depend on the day they are taken


def settle_heap() -> None:
    """What `sarcoma_cds.web.app.serve_app` does once the app is built: without it the figures
    would include collections of the engine's long-lived objects that the service never pays."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 50, 100)


def median_ms(
    fn: Callable[[], object],
    budget_seconds: float,
    max_runs: int = 300,
    clock: Callable[[], float] = time.perf_counter,
) -> float:
    """Median time of `fn` by `clock` (wall by default) over at least 5 runs, as many as fit in
    the budget."""
    fn()  # warm caches and lazy imports
    samples: list[float] = []
    stop = time.perf_counter() + budget_seconds
    while len(samples) < 5 or (len(samples) < max_runs and time.perf_counter() < stop):
        started = clock()
        fn()
        samples.append((clock() - started) * 1000)
    return statistics.median(samples)


@dataclass(frozen=True)
class StageTimes:
    size: int
    body_bytes: int
    floor_parse: float
    projection: float
    derivation: float
    parse_and_profile: float
    rules_and_cards: float
    request: float


def _floor_parse(body: bytes) -> Any:
    _, validate = request_validator()
    document = orjson.loads(body)
    if validate is not None:
        validate(document)
    return document


def service_work(engine: Engine, body: bytes) -> bytes:
    """What the service does for one call, minus HTTP: parse, validate, evaluate, serialise."""
    document = _floor_parse(body)
    evaluation = engine.evaluate(PATIENT_ID, document["prefetch"], TODAY)
    return evaluation.response().to_bytes()


def measure(engine: Engine, size: int, budget_seconds: float) -> StageTimes:
    body = request_body(size)
    prefetch = orjson.loads(body)["prefetch"]
    record = collect(PATIENT_ID, prefetch)
    vs, params = engine.rules.valuesets, engine.params
    profile = derive_profile(record, vs, params, TODAY)

    def parse_and_profile() -> object:
        parsed = orjson.loads(body)["prefetch"]
        return derive_profile(collect(PATIENT_ID, parsed), vs, params, TODAY)

    return StageTimes(
        size=size,
        body_bytes=len(body),
        floor_parse=median_ms(lambda: _floor_parse(body), budget_seconds),
        projection=median_ms(lambda: collect(PATIENT_ID, prefetch), budget_seconds),
        derivation=median_ms(lambda: derive_profile(record, vs, params, TODAY), budget_seconds),
        parse_and_profile=median_ms(parse_and_profile, budget_seconds),
        rules_and_cards=median_ms(
            lambda: build_cards(engine.rules, profile, PATIENT_ID, None), budget_seconds
        ),
        request=median_ms(lambda: service_work(engine, body), budget_seconds),
    )


@dataclass(frozen=True)
class Hotspot:
    where: str
    calls_per_request: float
    own_ms: float  # time in the function itself, per request
    cumulative_ms: float  # including what it calls, per request


def _short(filename: str, line: int, name: str) -> str:
    path = Path(filename)
    parts = path.parts
    for anchor in ("sarcoma_cds", "pydantic", "pydantic_core", "fhir", "bench"):
        if anchor in parts:
            return f"{'/'.join(parts[parts.index(anchor) :])}:{line} {name}"
    if filename == "~":
        return name  # a built-in, e.g. <method 'model_validate' ...>
    return f"{path.name}:{line} {name}"


def hotspots(
    engine: Engine, size: int, runs: int, top: int
) -> tuple[list[Hotspot], list[tuple[str, float]]]:
    """cProfile of `service_work`: the top functions by own time, and own time per area."""
    body = request_body(size)
    service_work(engine, body)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        service_work(engine, body)
    profiler.disable()
    stats: dict[tuple[str, int, str], tuple[int, int, float, float, Any]]
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:top]
    spots = [
        Hotspot(_short(*key), nc / runs, tt * 1000 / runs, ct * 1000 / runs)
        for key, (_, nc, tt, ct, _) in rows
    ]
    areas: dict[str, float] = {}
    for (filename, _, _), (_, _, tt, _, _) in stats.items():
        area = _area(filename)
        areas[area] = areas.get(area, 0.0) + tt * 1000 / runs
    return spots, sorted(areas.items(), key=lambda item: item[1], reverse=True)


def _area(filename: str) -> str:
    parts = Path(filename).parts
    if "sarcoma_cds" in parts:
        i = parts.index("sarcoma_cds")
        return "/".join(parts[i : i + 2]) if i + 2 < len(parts) else "/".join(parts[i:])
    for package in ("pydantic", "pydantic_core", "orjson", "yaml"):
        if package in parts:
            return package
    if filename == "~":
        return "built-ins and C extensions (pydantic-core validation, orjson, dict/str methods)"
    return "other Python (stdlib)"


def request_cpu_ms(size: int, budget_seconds: float) -> float:
    """The in-process request's median CPU time at `size` (a fresh engine, the heap settled,
    five calls to warm its caches). CPU time, not wall: on a shared machine the wall time of
    one thread also counts the time the other work kept it off a core."""
    from sarcoma_cds.settings import Settings

    engine = Engine.load(Settings())
    settle_heap()
    body = request_body(size)
    for _ in range(5):
        service_work(engine, body)
    return median_ms(lambda: service_work(engine, body), budget_seconds, clock=time.process_time)


if __name__ == "__main__":  # `python -m bench.inprocess SIZE BUDGET`: one figure, for run.py
    import sys

    print(f"{request_cpu_ms(int(sys.argv[1]), float(sys.argv[2])):.4f}")
