"""`ven demo [--json] [--chargers ocpp]`: mock VTN, VEN, Massachusetts fleet; one ≥ 1 MW event end to end.

The fleet is simulated (time-scaled) by default; with `--chargers ocpp` every EV sits behind a simulated
OCPP station connected to the VEN's OCPP backend, in real time, and the event is the showcase's first
intervals, shortened (ven.demo.ocpp_stations).

Progress goes to stderr; stdout gets the per-interval table, or with --json the summary object
(docs/reference.md). The demo's machinery (mock VTN, plotting) is imported when the demo runs, so other
commands start without it. With `--serve` the mock VTN and the VEN keep running after the event, with their
dashboards, until Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ven.cli.parsing import add_command
from ven.clock import cli_clock
from ven.errors import InputError

if TYPE_CHECKING:
    from ven.demo.progress import Progress
    from ven.demo.result import DemoResult
    from ven.demo.runner import Dashboards, DemoOptions, Serve

MAX_TIME_SCALE = 1000.0


def register(commands: Any) -> None:
    parser = add_command(
        commands,
        "demo",
        "run a DR event end to end: mock VTN, VEN, simulated fleet",
        "Starts the bundled mock VTN and a VEN with the Massachusetts example fleet (90 simulated EVs), "
        "creates the example's >= 1 MW event on its next programme day and runs it end to end over "
        "OpenADR on a simulated clock; prints a table per interval (or --json) and writes a plot.",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    parser.add_argument("--plot", default="ven-demo.png", help="the PNG plot to write (default: %(default)s)")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=200.0,
        help="simulated seconds per wall second (default: %(default)s)",
    )
    parser.add_argument(
        "--example",
        default=None,
        metavar="DIR",
        help="folder with ven.toml (and its fleet) and scenario.toml (default: the bundled Massachusetts "
        "example)",
    )
    parser.add_argument(
        "--chargers",
        choices=("simulated", "ocpp"),
        default="simulated",
        help="simulated: the time-scaled simulated fleet (default); ocpp: a simulated OCPP station per EV "
        "through the VEN's OCPP backend, in real time, on a shortened event",
    )
    parser.add_argument(
        "--serve",
        action="store_true",
        help="keep the mock VTN and the VEN running after the event and print both dashboards' "
        "addresses (until Ctrl-C)",
    )
    parser.add_argument(
        "--protocol",
        choices=("openadr2b", "openadr3"),
        default="openadr2b",
        help="how the VEN speaks to the mock VTN: OpenADR 2.0b (default) or 3.1",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ven.demo.progress import Progress  # noqa: PLC0415 - the demo's machinery only when it runs
    from ven.demo.runner import run_demo  # noqa: PLC0415
    from ven.demo.showcase import EXAMPLE_DIR  # noqa: PLC0415

    if not 1.0 <= args.time_scale <= MAX_TIME_SCALE:
        raise InputError(f"--time-scale: between 1 and {MAX_TIME_SCALE:g}, not {args.time_scale:g}")
    example = Path(args.example) if args.example else EXAMPLE_DIR
    if not (example / "ven.toml").is_file() or not (example / "scenario.toml").is_file():
        raise InputError(f"--example {example}: needs ven.toml and scenario.toml")
    plot = Path(args.plot).resolve()
    if not plot.parent.is_dir():
        raise InputError(f"--plot {args.plot}: folder {plot.parent} does not exist")
    for noisy in ("openleadr", "apscheduler", "aiohttp.access", "ven", "vtn_mock", "ocpp", "websockets"):
        logging.getLogger(noisy).setLevel(logging.ERROR)  # the demo reports progress itself
    options = _options(args, example)
    progress = Progress(enabled=not args.quiet)
    serve = _serve(args, plot, progress) if args.serve else None
    with tempfile.TemporaryDirectory(prefix="ven-demo-") as workdir:
        result = asyncio.run(run_demo(options, Path(workdir), progress, serve))
    if serve is None:
        _report(result, args, plot, progress)
    return 0


def _report(
    result: DemoResult,
    args: argparse.Namespace,
    plot: Path,
    progress: Progress,
    extra: dict[str, Any] | None = None,
) -> None:
    from ven.demo.plot import write_plot  # noqa: PLC0415 - matplotlib only when the demo runs
    from ven.demo.table import render  # noqa: PLC0415

    write_plot(result, plot)
    result = result.with_plot(str(plot))
    progress(f"plot written to {plot}")
    print(json.dumps({**result.to_json(), **(extra or {})}) if args.json else render(result), flush=True)


def _serve(args: argparse.Namespace, plot: Path, progress: Progress) -> Serve:
    """Report as usual, then print both dashboards' addresses and wait for Ctrl-C (or SIGTERM)."""

    async def serve(result: DemoResult, dashboards: Dashboards) -> None:
        urls = {"ven": dashboards.ven_url, "vtn": dashboards.vtn_url}
        _report(result, args, plot, progress, {"dashboards": urls})
        lines = [f"VEN dashboard: {dashboards.ven_url}", f"VTN dashboard: {dashboards.vtn_url}"]
        if not args.json:
            print("\n".join(["", *lines, "serving until Ctrl-C"]), flush=True)
        progress("; ".join(lines) + " (Ctrl-C stops them)")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
        progress("stopping")

    return serve


def _options(args: argparse.Namespace, example: Path) -> DemoOptions:
    from ven.demo.runner import DemoOptions  # noqa: PLC0415

    if args.chargers == "simulated":
        return DemoOptions(
            example_dir=example, time_scale=args.time_scale, clock=cli_clock(), protocol=args.protocol
        )
    # Stations live in real time: no time scale, no lead, the event starts seconds after the stations are up.
    return DemoOptions(
        example_dir=example,
        time_scale=1.0,
        lead=timedelta(0),
        min_notice=timedelta(seconds=5),
        align=timedelta(seconds=1),
        progress_every_s=2.0,
        frame_every_s=1.0,  # the stations meter once a second; reading them more often costs the VEN's CPU
        chargers="ocpp",
        clock=cli_clock(),
        protocol=args.protocol,
    )
