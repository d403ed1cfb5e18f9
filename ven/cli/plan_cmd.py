"""`ven plan`: plan one request offline on an enrollment file (CONTRACT.md, CLI)."""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from policies import load_policy
from ven.cli import plan_report
from ven.clock import SystemClock
from ven.errors import InputError, PolicyError
from ven.model.baseline import baseline_kw
from ven.model.enrollment import load_fleet
from ven.model.horizon import Horizon
from ven.model.request import DEFAULT_MARGIN, Request
from ven.plan import make_plan
from ven.timeparse import parse_duration, parse_time


def register(commands: Any) -> None:
    parser = commands.add_parser("plan", help="plan one request offline")
    parser.add_argument("--fleet", required=True, help="fleet enrollment CSV")
    parser.add_argument("--start", default="now", help="ISO 8601 time, 'now' or '+5m' (default now)")
    parser.add_argument("--duration", required=True, help="e.g. 3h, 90m, PT3H")
    parser.add_argument("--interval", default="15m", help="interval length (default 15m)")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--reduce-kw", help="requested reduction, kW: one number or one per interval (a,b,c)")
    what.add_argument("--setpoint-kw", help="fleet net power target, kW: one number or one per interval")
    parser.add_argument("--policy", default="optimal", help="policy name (see `ven policies`)")
    parser.add_argument("--margin", type=float, default=DEFAULT_MARGIN, help="over-delivery margin (0.05)")
    parser.add_argument("--json", action="store_true", help="print the plan as one JSON object")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    interval = parse_duration(args.interval)
    duration = parse_duration(args.duration)
    if interval.total_seconds() <= 0 or duration.total_seconds() <= 0:
        raise InputError("--duration and --interval must be positive")
    horizon = Horizon.covering(parse_time(args.start, SystemClock().now()), duration, interval)
    fleet = load_fleet(args.fleet, now=horizon.start)  # relative departures count from the plan's start
    if args.margin < 0:
        raise InputError("--margin must not be negative")
    if args.reduce_kw is not None:
        request = Request.reduce(horizon, _values("--reduce-kw", args.reduce_kw, len(horizon)), args.margin)
    else:
        base = baseline_kw(fleet, horizon).sum(axis=0)
        request = Request.setpoint(
            horizon, base, _values("--setpoint-kw", args.setpoint_kw, len(horizon)), args.margin
        )
    try:
        policy = load_policy(args.policy)
    except PolicyError as exc:
        raise InputError(str(exc)) from None
    plan = make_plan(fleet, request, policy)
    if args.json:
        print(json.dumps(plan_report.as_json(plan)))
    else:
        print(plan_report.as_table(plan))
    return 0


def _values(flag: str, text: str, count: int) -> list[float]:
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        raise InputError(f"{flag}: {text!r} is not a number or a comma-separated list of numbers") from None
    if len(values) == 1:
        return values * count
    if len(values) != count:
        raise InputError(f"{flag}: {len(values)} values given for {count} intervals")
    if not all(math.isfinite(v) for v in values):
        raise InputError(f"{flag}: values must be finite")
    return values
