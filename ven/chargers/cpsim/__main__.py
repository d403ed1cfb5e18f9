"""`python -m ven.chargers.cpsim --fleet F.csv --csms ws://HOST:PORT`: a station per EV, in its own process.

OCPP 2.1 for the EVs that can discharge, 2.0.1 for the others. stdout gets one JSON line when every station
is connected (`{"ready": N}`), then one per TransactionEvent a station sends, with what it metered
(`charger_id`, `ts`, `trigger`, `power_kw`, `soc`, `managed`, `until_ts`): a CSMS in another process can be
stopped, killed or cut off, and what the stations do meanwhile is on record. Runs until SIGINT/SIGTERM.
The stations keep the command-line tools' clock (`V2X_VEN_NOW`), so they agree with a `ven run` started
with the same setting.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from dataclasses import asdict
from typing import TextIO

from ven.chargers.cpsim.station import MeterRecord
from ven.chargers.cpsim.swarm import close_all, start_all, stations_for, version_for
from ven.cli.parsing import tool_parser
from ven.clock import Clock, cli_clock
from ven.errors import InputError
from ven.model.enrollment import load_fleet

PROG = "python -m ven.chargers.cpsim"
EXIT_BAD_INPUT = 2


def _line(text: str, stream: TextIO = sys.stdout) -> None:
    stream.write(text + "\n")
    stream.flush()


def _print(record: MeterRecord) -> None:
    _line(json.dumps(asdict(record)))


async def _serve(args: argparse.Namespace, clock: Clock) -> None:
    fleet = load_fleet(args.fleet)
    stations = stations_for(
        fleet,
        args.csms,
        version=version_for,
        clock=clock,
        meter_interval_s=args.meter_interval,
        observer=_print,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await start_all(stations)
        _line(json.dumps({"ready": len(stations)}))
        await stop.wait()
    finally:
        await close_all(stations)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = tool_parser(PROG, __doc__.splitlines()[0])
    parser.add_argument(
        "--fleet", required=True, help="enrollment CSV: one station per EV, at its charger_id"
    )
    parser.add_argument("--csms", required=True, help="the CSMS's base URL, e.g. ws://127.0.0.1:9000")
    parser.add_argument("--meter-interval", type=float, default=1.0, help="seconds between meter reports")
    args = parser.parse_args(argv)
    if not args.csms.startswith(("ws://", "wss://")) or args.meter_interval < 0:
        raise InputError("--csms must be a ws:// or wss:// URL, --meter-interval ≥ 0")
    return args


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parse(argv)
        asyncio.run(_serve(args, cli_clock()))
    except InputError as err:
        _line(f"{PROG}: error: {err}", sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as err:
        _line(f"{PROG}: error: cannot reach the CSMS at {args.csms}: {err}", sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
