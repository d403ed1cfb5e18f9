"""`ven plan`: plan one request offline on an enrollment file (docs/reference.md, `ven plan`)."""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from policies import available_policies, load_policy
from ven.cli import plan_report
from ven.cli.parsing import add_command
from ven.cli.slow import SlowWork
from ven.clock import cli_clock
from ven.errors import InputError, PolicyError
from ven.model.baseline import baseline_kw
from ven.model.enrollment import load_fleet
from ven.model.fleet import Fleet
from ven.model.horizon import Horizon
from ven.model.idle import idle_cause, nothing_delivered
from ven.model.request import DEFAULT_MARGIN, Request
from ven.model.routine import is_time_of_day, next_local_time, parse_timezone
from ven.plan import make_plan
from ven.timeparse import parse_duration, parse_time

DEFAULT_POLICY = "optimal"
# Beyond these a plan is not an offline "what if" any more (and the LP grows past what a laptop solves).
MAX_DURATION = timedelta(days=7)
MAX_INTERVALS = 2000


def register(commands: Any) -> None:
    parser = add_command(
        commands,
        "plan",
        "plan one request offline on an enrollment file",
        "Plans one request (a reduction or a fleet setpoint per interval) on the EVs of an enrollment "
        "file with a policy, checked against every hard constraint, and prints a table (or --json). "
        "Departures given as local times of day resolve to the next one after --start.",
    )
    parser.add_argument("--fleet", required=True, metavar="CSV", help="fleet enrollment file (CSV)")
    parser.add_argument(
        "--start",
        default="now",
        help="when the plan starts: ISO 8601 with a UTC offset, 'now', '+5m', or a local time of day "
        "(16:00: the next one, in --timezone)",
    )
    parser.add_argument("--duration", required=True, help="how long: e.g. 3h, 90m, PT3H (at most 7 days)")
    parser.add_argument("--interval", default="15m", help="interval length (at most 2,000 intervals)")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--reduce-kw", metavar="KW", help="requested reduction, kW: one number or one per interval (a,b,c)"
    )
    what.add_argument(
        "--setpoint-kw",
        metavar="KW",
        help="fleet net power target, kW (negative = export): one number or one per interval",
    )
    parser.add_argument(
        "--policy",
        default=DEFAULT_POLICY,
        help="the policy that splits the request across EVs (`ven policies` lists them)",
    )
    parser.add_argument(
        "--margin",
        type=float,
        default=DEFAULT_MARGIN,
        help="deliver at most requested x (1 + margin) when the fleet could do more",
    )
    parser.add_argument(
        "--timezone",
        metavar="ZONE",
        help="IANA zone for the table and for local --start times (default: --start's offset, else the "
        "fleet file's timezone column, else UTC)",
    )
    parser.add_argument("--json", action="store_true", help="print the plan as one JSON object")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    interval = _positive("--interval", args.interval)
    duration = _positive("--duration", args.duration)
    if duration > MAX_DURATION:
        raise InputError(f"--duration {args.duration}: at most {MAX_DURATION.days} days")
    if math.ceil(duration / interval) > MAX_INTERVALS:
        raise InputError(
            f"--duration {args.duration} in --interval {args.interval} steps is "
            f"{math.ceil(duration / interval):,} intervals; at most {MAX_INTERVALS:,}"
        )
    if not math.isfinite(args.margin) or args.margin < 0:
        raise InputError(f"--margin: a number of 0 or more, not {args.margin}")
    policy_name = _known_policy(args.policy)
    now = cli_clock().now()
    zone_given = parse_timezone(args.timezone) if args.timezone else None
    first_look = load_fleet(args.fleet, now=now, timezone=zone_given)  # its zone; reloaded below
    zone = zone_given or _start_zone(args.start) or _fleet_zone(first_look) or UTC
    start = _start(args.start, now, zone)
    horizon = Horizon.covering(start, duration, interval)
    # Relative departures (06:15, +14h) count from the plan's start.
    fleet = load_fleet(args.fleet, now=horizon.start, timezone=zone_given)
    request = _request(args, fleet, horizon)
    try:
        policy = load_policy(policy_name)
    except PolicyError as exc:
        raise InputError(f"--policy: {exc}") from None
    cause = idle_cause(fleet, horizon.start)
    with SlowWork(f"ven: planning {len(fleet):,} EVs x {len(horizon):,} intervals with {policy_name}"):
        plan = make_plan(fleet, request, policy)
    if cause is None and nothing_delivered(plan.requested_kw, plan.reduction_kw):
        cause = "the fleet can deliver none of the request within its hard constraints"
    if cause is not None:
        print(f"ven: warning: {args.fleet}: {cause}", file=sys.stderr)
    if args.json:
        print(json.dumps(plan_report.as_json(plan)))
    else:
        print(plan_report.as_table(plan, zone))
    return 0


def _positive(flag: str, text: str) -> timedelta:
    if text.strip().startswith("-"):
        raise InputError(f"{flag} {text}: must be positive")
    try:
        value = parse_duration(text)
    except InputError as exc:
        raise InputError(f"{flag}: {exc}") from None
    if value.total_seconds() <= 0:
        raise InputError(f"{flag} {text}: must be positive")
    return value


def _known_policy(name: str) -> str:
    names = [info.name for info in available_policies()]
    if name not in names:
        raise InputError(f"--policy: unknown policy {name!r} (installed: {', '.join(names)})")
    return name


def _start(text: str, now: datetime, zone: tzinfo) -> datetime:
    if is_time_of_day(text):
        return next_local_time(text, now, zone)
    try:
        return parse_time(text, now)
    except InputError as exc:
        raise InputError(f"--start: {exc} (or a local time of day such as 16:00)") from None


def _start_zone(text: str) -> tzinfo | None:
    """The fixed UTC offset an ISO --start was written with (its reader's time zone)."""
    if text.strip() in ("now", "") or text.strip().startswith("+") or is_time_of_day(text):
        return None
    try:
        return datetime.fromisoformat(text.strip().replace("z", "Z")).tzinfo
    except ValueError:
        return None


def _fleet_zone(fleet: Fleet) -> tzinfo | None:
    """The time zone of the fleet's routines when they all share one."""
    zones = {ev.routine.timezone for ev in fleet.evs if ev.routine is not None}
    return zones.pop() if len(zones) == 1 else None


def _request(args: argparse.Namespace, fleet: Fleet, horizon: Horizon) -> Request:
    if args.reduce_kw is not None:
        return Request.reduce(horizon, _values("--reduce-kw", args.reduce_kw, len(horizon)), args.margin)
    base = baseline_kw(fleet, horizon).sum(axis=0)
    values = _values("--setpoint-kw", args.setpoint_kw, len(horizon))
    return Request.setpoint(horizon, base, values, args.margin)


def _values(flag: str, text: str, count: int) -> list[float]:
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        raise InputError(f"{flag}: {text!r} is not a number or a comma-separated list of numbers") from None
    if not all(math.isfinite(v) for v in values):
        raise InputError(f"{flag} {text}: values must be finite numbers")
    if len(values) == 1:
        return values * count
    if len(values) != count:
        raise InputError(f"{flag}: {len(values)} values given for {count} intervals")
    return values
