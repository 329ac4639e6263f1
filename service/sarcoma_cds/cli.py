"""`sarcoma-cds`: serve the CDS service, or run one request file through the same pipeline.

Each subcommand is one `add_*` function registered in COMMANDS: it declares its arguments and sets
`handler`, a function from the parsed arguments to the exit code.
Exit codes: 0 success, 1 the service cannot run (settings, rules), 2 bad input (argparse's too).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeAlias

import orjson

from sarcoma_cds.cards.examples import run_examples
from sarcoma_cds.cds_hooks.problems import ProblemError
from sarcoma_cds.cds_hooks.request import PatientViewCall, parse_service_request
from sarcoma_cds.fhir.prefetch_templates import PREFETCH_TEMPLATES
from sarcoma_cds.pipeline import Engine, Evaluation, RulesError
from sarcoma_cds.settings import Settings

Handler = Callable[[argparse.Namespace], int]
# argparse's subparsers object; its class is private, hence the alias.
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
EXIT_UNAVAILABLE = 1
EXIT_BAD_INPUT = 2


class CliError(Exception):
    """A one-line message for stderr and the exit code that goes with it."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _print_json(document: Any) -> None:
    sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")


# --- serve --------------------------------------------------------------------------------------
def _serve(args: argparse.Namespace) -> int:
    from sarcoma_cds.startup import StartupError, run_server  # only this command serves

    try:
        run_server(args.host, args.port, args.workers)
    except StartupError as exc:
        raise CliError(str(exc), EXIT_UNAVAILABLE) from None
    return 0


def add_serve(commands: Subcommands) -> None:
    parser = commands.add_parser("serve", help="run the CDS Hooks service (uvicorn)")
    parser.add_argument("--host", help="bind address (default: SARCOMA_CDS_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: SARCOMA_CDS_PORT or 8080)")
    parser.add_argument("--workers", type=int, help="worker processes (default: 1)")
    parser.set_defaults(handler=_serve)


# --- evaluate / facts ---------------------------------------------------------------------------
def _read_request(path: Path) -> PatientViewCall:
    try:
        body = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise CliError(f"{path}: cannot read ({exc.strerror})", EXIT_BAD_INPUT) from None
    except orjson.JSONDecodeError as exc:
        raise CliError(f"{path}: not valid JSON ({exc})", EXIT_BAD_INPUT) from None
    try:
        return parse_service_request(body, PREFETCH_TEMPLATES)
    except ProblemError as exc:
        raise CliError(f"{path}: {exc}", EXIT_BAD_INPUT) from None


def evaluate_file(path: Path, today: date | None) -> Evaluation:
    """The service pipeline without the server: validate the request file, then evaluate."""
    call = _read_request(path)
    engine = _engine()
    return engine.evaluate(
        call.patient_id,
        call.prefetch,
        today or date.today(),
        call.user_id,
        hook_instance=call.request.hookInstance,
        fhir_server=str(call.request.fhirServer) if call.request.fhirServer else None,
    )


def _engine() -> Engine:
    try:
        return Engine.load(Settings())
    except RulesError as exc:
        raise CliError(f"rules: {exc}", EXIT_UNAVAILABLE) from None


def _evaluate(args: argparse.Namespace) -> int:
    _print_json(evaluate_file(args.request, args.today).response().to_json())
    return 0


def _facts(args: argparse.Namespace) -> int:
    _print_json(evaluate_file(args.request, args.today).facts_json())
    return 0


def _add_request_command(
    commands: Subcommands, name: str, help_text: str, handler: Handler
) -> None:
    parser = commands.add_parser(name, help=help_text)
    parser.add_argument("request", type=Path, metavar="REQUEST.json", help="a CDS Hooks request")
    parser.add_argument("--today", type=_iso_date, help="evaluation date (default: today)")
    parser.set_defaults(handler=handler)


def add_evaluate(commands: Subcommands) -> None:
    _add_request_command(
        commands, "evaluate", "print the CDS Hooks response for a request file", _evaluate
    )


def add_facts(commands: Subcommands) -> None:
    _add_request_command(
        commands, "facts", "print the derived facts (metastatic profile) as JSON", _facts
    )


# --- timeline ------------------------------------------------------------------------------------
def _timeline(args: argparse.Namespace) -> int:
    """The tumour-board view of a request file, without SMART (demos, handouts)."""
    from sarcoma_cds.timeline.render import render_view
    from sarcoma_cds.timeline.view import build_view

    call = _read_request(args.request)
    page = render_view(
        build_view(_engine(), call.patient_id, call.prefetch, args.today or date.today())
    )
    try:
        args.out.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"{args.out}: cannot write ({exc.strerror})", EXIT_BAD_INPUT) from None
    print(f"wrote {args.out}")
    return 0


def add_timeline(commands: Subcommands) -> None:
    parser = commands.add_parser(
        "timeline", help="write the tumour-board view (timeline, facts, cards) as an HTML file"
    )
    parser.add_argument("request", type=Path, metavar="REQUEST.json", help="a CDS Hooks request")
    parser.add_argument("--out", type=Path, required=True, metavar="VIEW.html")
    parser.add_argument("--today", type=_iso_date, help="evaluation date (default: today)")
    parser.set_defaults(handler=_timeline)


# --- rules check / rules coverage ---------------------------------------------------------------
def _rules_check(args: argparse.Namespace) -> int:
    engine = _engine()  # loads and validates everything; a problem exits 1 with its message
    rules = engine.rules
    failures = run_examples(rules)
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    examples = sum(len(r.examples) for r in rules.rules)
    print(
        f"{rules.folder}: {len(rules.rules)} rule files, {len(rules.recommendations)} "
        f"recommendations, {len(rules.valuesets.ids())} value sets; "
        f"{examples - len(failures)} of {examples} inline examples pass"
    )
    return EXIT_UNAVAILABLE if failures else 0


def _rules_coverage(args: argparse.Namespace) -> int:
    from sarcoma_cds.rules.coverage import coverage_report, unaccounted

    rules = _engine().rules
    print(coverage_report(rules))
    return EXIT_UNAVAILABLE if unaccounted(rules) else 0


def add_rules(commands: Subcommands) -> None:
    parser = commands.add_parser("rules", help="validate the rules folder or show its coverage")
    sub = parser.add_subparsers(dest="rules_command", required=True, metavar="ACTION")
    check = sub.add_parser("check", help="validate every rule and value set; run the examples")
    check.set_defaults(handler=_rules_check)
    cover = sub.add_parser("coverage", help="which topics cite each of the 34 recommendations")
    cover.set_defaults(handler=_rules_coverage)


# --- demo ---------------------------------------------------------------------------------------
def _demo(args: argparse.Namespace) -> int:
    from sarcoma_cds.demo import render

    colour = args.colour == "always" or (args.colour == "auto" and sys.stdout.isatty())
    for path in args.requests:
        evaluation = evaluate_file(path, args.today)
        print(render(path.name, evaluation.response().to_json()["cards"], colour=colour))
        print()
    return 0


def add_demo(commands: Subcommands) -> None:
    parser = commands.add_parser("demo", help="print a readable summary of the cards for requests")
    parser.add_argument("requests", type=Path, nargs="+", metavar="REQUEST.json")
    parser.add_argument("--today", type=_iso_date, help="evaluation date (default: today)")
    parser.add_argument("--colour", choices=("auto", "always", "never"), default="auto")
    parser.set_defaults(handler=_demo)


# --- feedback report ----------------------------------------------------------------------------
def _feedback_report(args: argparse.Namespace) -> int:
    from sarcoma_cds.feedback.report import build_report, render_text, report_json
    from sarcoma_cds.feedback.store import FeedbackStore, FeedbackStoreError

    url = args.db or Settings().feedback_db_url
    try:
        store = FeedbackStore.open(url)
    except FeedbackStoreError as exc:
        raise CliError(str(exc), EXIT_UNAVAILABLE) from None
    try:
        report = build_report(store.issued(), store.records(), top_reasons=args.top)
    finally:
        store.close()
    if args.json:
        _print_json(report_json(report))
    else:
        sys.stdout.write(render_text(report))
    return 0


def add_feedback(commands: Subcommands) -> None:
    parser = commands.add_parser("feedback", help="summarise the stored card feedback")
    sub = parser.add_subparsers(dest="feedback_command", required=True, metavar="ACTION")
    report = sub.add_parser(
        "report", help="accept and override rates per rule and suggestion, top override reasons"
    )
    report.add_argument("--db", help="SQLAlchemy URL (default: SARCOMA_CDS_FEEDBACK_DB_URL)")
    report.add_argument("--top", type=int, default=5, help="override reasons listed (default 5)")
    report.add_argument("--json", action="store_true", help="JSON instead of tables")
    report.set_defaults(handler=_feedback_report)


# --- screen (population worklist) ---------------------------------------------------------------
def _screen(args: argparse.Namespace) -> int:
    from sarcoma_cds.population.cli import ScreenError, run

    try:
        return run(args.source, args.out, args.today or date.today(), args.engine, args.scheduler)
    except ScreenError as exc:
        raise CliError(str(exc), exc.exit_code) from None


def add_screen(commands: Subcommands) -> None:
    parser = commands.add_parser(
        "screen",
        help="tumour-board worklist and report from a FHIR Bulk Data export (folder or server)",
    )
    parser.add_argument(
        "source", metavar="SOURCE", help="folder of *.ndjson / *.ndjson.gz, or a FHIR base URL"
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR")
    parser.add_argument("--today", type=_iso_date, help="evaluation date (default: today)")
    parser.add_argument(
        "--engine",
        choices=("local", "dask", "spark"),
        default="local",
        help="local: every core of this machine (default); dask: a Dask cluster; spark: not built",
    )
    parser.add_argument("--scheduler", metavar="ADDR", help="Dask scheduler (tcp://host:8786)")
    parser.set_defaults(handler=_screen)


COMMANDS: list[Callable[[Subcommands], None]] = [
    add_serve,
    add_evaluate,
    add_facts,
    add_rules,
    add_demo,
    add_feedback,
    add_timeline,
    add_screen,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sarcoma-cds",
        description="CDS Hooks 2.0 service for liver metastases of soft tissue sarcoma",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except CliError as exc:
        print(f"sarcoma-cds: {exc}", file=sys.stderr)
        return exc.exit_code
    return code


if __name__ == "__main__":
    raise SystemExit(main())
