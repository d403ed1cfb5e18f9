"""`ven forecast`: the fleet's flexibility over the next 24 h in 15-minute steps (docs/eiopt.md).

With `--config`, the VEN's enrollment, its `[[opt.unavailable]]` windows and the owner overrides in its
database reduce what is offered; with `--fleet`, the enrollment file alone.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ven.availability import Override
from ven.availability.offer import offered
from ven.cli.parsing import add_command
from ven.clock import cli_clock
from ven.errors import InputError
from ven.feasibility.forecast import Forecast, floor_to_step
from ven.model.enrollment import load_fleet
from ven.runtime.config import load_config, unavailability
from ven.storage import StorageError, Store, resolve_storage_path
from ven.storage.url import MEMORY
from ven.timeparse import parse_time

if TYPE_CHECKING:
    from datetime import datetime

    from ven.runtime.config import VenConfig


def register(commands: Any) -> None:
    parser = add_command(
        commands,
        "forecast",
        "the fleet's flexibility over the next 24 h in 15-minute steps",
        "Prints, for each quarter hour of the next 24 h, the fleet's available reduction (V2G export "
        "included), its curtailment-only part and its energy above reserve: from who is plugged in, "
        "departures and routines. With --config, the VEN's [[opt.unavailable]] windows and the owner "
        "overrides in its database take out what they hold.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--config", help="the VEN config: its enrollment, unavailability windows and owner overrides"
    )
    source.add_argument("--fleet", metavar="CSV", help="a fleet enrollment file on its own")
    parser.add_argument(
        "--start", help="first step: ISO 8601, now or +1h (default: now, rounded down to the quarter hour)"
    )
    parser.add_argument("--json", action="store_true", help='print one JSON object {"steps": [...]}')
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    now = cli_clock().now()
    start = floor_to_step(now) if args.start is None else parse_time(args.start, now)
    if args.config is not None:
        config = load_config(args.config)
        fleet = load_fleet(config.fleet.file, now=start, timezone=config.ven.timezone)
        overrides = _overrides(config, start)
        result = offered(fleet, start, unavailability(config), overrides)
    else:
        result = offered(load_fleet(args.fleet, now=start), start)
    print(json.dumps(as_json(result)) if args.json else as_table(result))
    return 0


def _overrides(config: VenConfig, now: datetime) -> tuple[Override, ...]:
    """The owner overrides in force, from the VEN's database if it has one yet (never created here)."""
    url = config.storage.url
    try:
        if url.startswith("sqlite:") or "://" not in url:
            path = resolve_storage_path(url, config.base_dir)
            if path != MEMORY and not Path(path).exists():
                return ()
        with Store.open(url, base_dir=config.base_dir, ven_name=config.ven.name) as store:
            return tuple(store.overrides.active(now))
    except StorageError as err:
        raise InputError(f"storage.url: {err}") from None


def as_json(result: Forecast) -> dict[str, Any]:
    return {
        "steps": [
            {
                "start": start.isoformat(),
                "end": end.isoformat(),
                "available_reduction_kw": round(float(result.available_reduction_kw[k]), 3),
                "available_curtailment_kw": round(float(result.available_curtailment_kw[k]), 3),
                "energy_above_reserve_kwh": round(float(result.energy_above_reserve_kwh[k]), 3),
            }
            for k, (start, end) in enumerate(result.horizon.bounds())
        ]
    }


def as_table(result: Forecast) -> str:
    lines = [f"{'step start':<26} {'reduction kW':>13} {'curtail kW':>11} {'above reserve kWh':>18}"]
    for k, (start, _) in enumerate(result.horizon.bounds()):
        lines.append(
            f"{start.isoformat(timespec='minutes'):<26} {result.available_reduction_kw[k]:>13.1f} "
            f"{result.available_curtailment_kw[k]:>11.1f} {result.energy_above_reserve_kwh[k]:>18.1f}"
        )
    return "\n".join(lines)
