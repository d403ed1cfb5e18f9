"""`ven demo [--json]`: mock VTN, VEN and the simulated Massachusetts fleet; one ≥ 1 MW event end to end.

Progress goes to stderr; stdout gets the per-interval table, or with --json the CONTRACT.md summary object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import tempfile
from pathlib import Path
from typing import Any

from ven.demo.plot import write_plot
from ven.demo.progress import Progress
from ven.demo.runner import DemoOptions, run_demo
from ven.demo.showcase import EXAMPLE_DIR
from ven.demo.table import render
from ven.errors import InputError

MAX_TIME_SCALE = 1000.0


def register(commands: Any) -> None:
    parser = commands.add_parser("demo", help="run a DR event end to end: mock VTN, VEN, simulated fleet")
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
        default=str(EXAMPLE_DIR),
        help="folder with ven.toml (and its fleet) and scenario.toml; default: the Massachusetts example",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not 1.0 <= args.time_scale <= MAX_TIME_SCALE:
        raise InputError(f"--time-scale: between 1 and {MAX_TIME_SCALE:g}, not {args.time_scale:g}")
    example = Path(args.example)
    if not (example / "ven.toml").is_file() or not (example / "scenario.toml").is_file():
        raise InputError(f"--example {example}: needs ven.toml and scenario.toml")
    plot = Path(args.plot).resolve()
    if not plot.parent.is_dir():
        raise InputError(f"--plot {args.plot}: folder {plot.parent} does not exist")
    for noisy in ("openleadr", "apscheduler", "aiohttp.access", "ven", "vtn_mock"):
        logging.getLogger(noisy).setLevel(logging.ERROR)  # the demo reports progress itself
    options = DemoOptions(example_dir=example, time_scale=args.time_scale)
    progress = Progress(enabled=not args.quiet)
    with tempfile.TemporaryDirectory(prefix="ven-demo-") as workdir:
        result = asyncio.run(run_demo(options, Path(workdir), progress))
    write_plot(result, plot)
    result = result.with_plot(str(plot))
    progress(f"plot written to {plot}")
    print(json.dumps(result.to_json()) if args.json else render(result))
    return 0
