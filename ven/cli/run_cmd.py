"""`ven run --config ven.toml`: the VEN against its VTN until SIGINT/SIGTERM (then a clean stop, exit 0)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import TYPE_CHECKING, Any

from ven.cli import logs
from ven.cli.parsing import add_command
from ven.clock import cli_clock
from ven.runtime.config import load_config

if TYPE_CHECKING:
    from ven.runtime.app import VenApp


def register(commands: Any) -> None:
    parser = add_command(
        commands,
        "run",
        "run the VEN against its VTN until stopped",
        "Registers with the VTN of the config, answers its events, dispatches the fleet every control "
        "period and reports telemetry, until SIGINT or SIGTERM (a clean stop, exit 0). Logs one line per "
        "control period per active event.",
    )
    parser.add_argument("--config", required=True, help="the VEN config file (TOML)")
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="least severe level",
    )
    parser.add_argument(
        "--log-format",
        default="text",
        choices=logs.FORMATS,
        help="text: one readable line per record; json: one JSON object per line (time, level, logger, "
        "message, ven, and event_id / interval where a line is about an event)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ven.runtime.app import VenApp  # noqa: PLC0415 - the whole VEN only for `ven run`

    config = load_config(args.config)
    logs.configure(args.log_level, args.log_format, ven=config.ven.name)
    for noisy in ("openleadr", "apscheduler", "aiohttp.access", "ocpp", "websockets.server"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    app = VenApp.build(config, clock=cli_clock())
    asyncio.run(_serve(app))
    return 0


async def _serve(app: VenApp) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await app.run(stop)
