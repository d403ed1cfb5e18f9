"""`ven season [--config season.toml] [--policy P|all] [--days N] [--json] [--report DIR]`.

A whole programme season on simulated time: the mock VTN calls the programme's events from its seeded
calendar, the VEN of `ven run` answers and dispatches them, the simulated fleet lives its days in between
(docs/season.md). Progress goes to stderr; stdout gets the season's figures as a table, or with --json
the object of docs/reference.md (`{"policies": {name: ...}}` with `--policy all`). The season's machinery
(the mock VTN, the solvers, plotting) is imported when the command runs, so other commands start without it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ven.cli.parsing import add_command
from ven.errors import InputError, V2XError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ven.season.results import SeasonResult

QUIET_LOGGERS = ("openleadr", "apscheduler", "aiohttp", "ven", "vtn_mock")
EXIT_INTERRUPTED = 130  # the shell's code for SIGINT


class SeasonCheckError(V2XError):
    """The season ran, but its books do not add up (a bug in the simulation, reported, never hidden)."""


def register(commands: Any) -> None:
    parser = add_command(
        commands,
        "season",
        "run a programme's whole season on simulated time: events, fleet life, settlement",
        "Runs a programme season (the mock VTN calls its events from a seeded calendar) through the VEN "
        "of ven.toml, with a simulated fleet living its days in between, on simulated time; prints the "
        "season's figures (what the VTN measured, the payment, the owners' outcomes) or --json, and "
        "checks its own books.",
    )
    parser.add_argument(
        "--config",
        help="season.toml (it names the VEN's ven.toml) (default: the bundled Massachusetts summer, "
        "ven.examples massachusetts/season.toml)",
    )
    parser.add_argument(
        "--policy", help="a dispatch policy, or 'all' for every installed one (default: ven.toml's)"
    )
    parser.add_argument("--days", type=int, help="only the season's first N days (default: all of it)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument(
        "--report", metavar="DIR", help="write a report folder here: summary.html, plots, CSV, JSON"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="with --policy all, how many policies run at once (default: %(default)s, the cores)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ven.season.config import load_season  # noqa: PLC0415 - the season's machinery, on demand
    from ven.season.runner import check_storage  # noqa: PLC0415
    from ven.season.seasons import run_seasons  # noqa: PLC0415

    config = _bundled_season() if args.config is None else Path(args.config)
    if args.days is not None and args.days < 1:
        raise InputError(f"--days: at least 1, not {args.days}")
    if args.jobs < 1:
        raise InputError(f"--jobs: at least 1, not {args.jobs}")
    report = None if args.report is None else Path(args.report)
    if report is not None and report.exists() and not report.is_dir():
        raise InputError(f"--report {args.report}: exists and is not a folder")
    season, ven = load_season(config)  # a bad file fails here, before anything runs
    policies = _policies(args.policy, ven.dispatch.policy)
    check_storage(season, ven, policies)
    progress = None if args.quiet else _progress
    try:
        with _quiet_logs(), tempfile.TemporaryDirectory(prefix="ven-season-") as workdir:
            results = run_seasons(config, policies, args.days, Path(workdir), args.jobs, progress)
    except KeyboardInterrupt:
        print("ven season: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    several = args.policy == "all"
    if report is not None:
        _write(results, report, several=several)
        if progress is not None:
            progress(f"report written to {report.resolve()}")
    print(_output(results, as_json=args.json, several=several))
    failed = [r.policy for r in results if not r.checks.ok]
    if failed:
        raise SeasonCheckError(
            f"season checks failed for {', '.join(failed)}: the energy books do not add up"
        )
    return 0


@contextlib.contextmanager
def _quiet_logs() -> Iterator[None]:
    """The VEN's and VTN's logs at ERROR while the season runs (progress lines say what happens); their
    levels restored afterwards (the command may run inside another program, or a test session)."""
    loggers = [logging.getLogger(name) for name in QUIET_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _bundled_season() -> Path:
    """The example season shipped in the package (the repository's examples/massachusetts/season.toml)."""
    from importlib.resources import files  # noqa: PLC0415

    return Path(str(files("ven.examples") / "massachusetts" / "season.toml"))


def _policies(wanted: str | None, configured: str) -> list[str]:
    from policies import available_policies  # noqa: PLC0415

    installed = {info.name: info for info in available_policies()}
    if wanted == "all":
        return [name for name, info in installed.items() if not info.summary.startswith("(fails to load")]
    name = wanted or configured
    if name not in installed:
        raise InputError(
            f"--policy {name!r}: not installed (installed: {', '.join(installed) or 'none'}, or all)"
        )
    return [name]


def _write(results: list[SeasonResult], report: Path, *, several: bool) -> None:
    from ven.season.report import write_index, write_report  # noqa: PLC0415 - matplotlib, on demand

    if not several:
        write_report(results[0], report)
        return
    for result in results:
        write_report(result, report / result.policy)
    write_index(results, report)


def _output(results: list[SeasonResult], *, as_json: bool, several: bool) -> str:
    from ven.season.summary import check_rows, comparison, headline  # noqa: PLC0415

    if as_json:
        if several:
            return json.dumps({"policies": {r.policy: r.to_json() for r in results}})
        return json.dumps(results[0].to_json())
    if several:
        header, rows = comparison(results)
        return _table([header, *rows])
    result = results[0]
    return (
        _table([list(row) for row in headline(result)])
        + "\n\nchecks\n"
        + _table([list(row) for row in check_rows(result)])
    )


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows
    )


def _progress(message: str) -> None:
    print(f"[season] {message}", file=sys.stderr, flush=True)
