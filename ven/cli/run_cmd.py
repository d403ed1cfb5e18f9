"""`ven run --config ven.toml`: the VEN against its VTN until SIGINT/SIGTERM (then a clean stop, exit 0)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import Any

from ven.runtime.app import VenApp
from ven.runtime.config import load_config


def register(commands: Any) -> None:
    parser = commands.add_parser("run", help="run the VEN against its VTN until stopped")
    parser.add_argument("--config", required=True, help="the VEN config file (TOML)")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("openleadr", "apscheduler", "aiohttp.access", "ocpp", "websockets.server"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    app = VenApp.build(config)
    asyncio.run(_serve(app))
    return 0


async def _serve(app: VenApp) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await app.run(stop)
