"""`ven opt-out`: an owner or fleet-manager override, written into the VEN's database (docs/eiopt.md).

    ven opt-out --config ven.toml --event ID [--site S]          leave the fleet (or a site) out of an event
    ven opt-out --config ven.toml --from T --until T [--site S]  leave it alone over a window
    ven opt-out --config ven.toml --list | --cancel ID

A running VEN on the same database picks it up within one poll interval: dispatch leaves those EVs
alone, TELEMETRY_STATUS reports a manual override, and the VTN gets an oadrCreateOpt (optOut).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ven.cli.parsing import add_command
from ven.clock import cli_clock
from ven.errors import InputError
from ven.model.enrollment import load_fleet
from ven.runtime.config import VenConfig, load_config
from ven.runtime.overrides import describe, record_override
from ven.storage import StorageError, Store
from ven.timeparse import parse_time


def register(commands: Any) -> None:
    parser = add_command(
        commands,
        "opt-out",
        "an owner or fleet-manager override: leave the fleet or a site out",
        "Records an override in the VEN's database: out of one event (--event), or over a window (--from "
        "--until), for the whole fleet or one --site. A running VEN on that database applies it within one "
        "poll interval: dispatch leaves those EVs alone, TELEMETRY_STATUS reports a manual override and "
        "the VTN gets an oadrCreateOpt (optOut). --list shows the overrides, --cancel ends one.",
    )
    parser.add_argument("--config", required=True, help="the VEN config (its database gets the override)")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--event", metavar="ID", help="the eventID to opt out of")
    what.add_argument("--from", dest="start", metavar="T", help="window start: ISO 8601, now or +1h")
    what.add_argument("--list", action="store_true", help="list the overrides")
    what.add_argument("--cancel", type=int, metavar="ID", help="cancel an override by its id")
    parser.add_argument("--until", metavar="T", help="window end, with --from: ISO 8601, now or +6h")
    parser.add_argument("--site", help="only this site's EVs (default: the whole fleet)")
    parser.add_argument("--note", help="why, kept with the override")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if (args.start is None) != (args.until is None):
        raise InputError("--from and --until go together")
    config = load_config(args.config)
    with _store(config) as store:
        if args.list:
            overrides = [describe(o) for o in store.overrides.all()]
            print(json.dumps({"overrides": overrides}) if args.json else _table(overrides))
            return 0
        if args.cancel is not None:
            cancelled = store.overrides.cancel(args.cancel)
            if cancelled is None:
                raise InputError(f"--cancel: there is no override {args.cancel}")
            _print(args, describe(cancelled), f"override #{args.cancel} cancelled")
            return 0
        now = cli_clock().now()
        fleet = load_fleet(config.fleet.file, now=now, timezone=config.ven.timezone)
        override = record_override(
            store,
            sites={ev.site for ev in fleet.evs},
            now=now,
            event_id=args.event,
            start=None if args.start is None else parse_time(args.start, now),
            end=None if args.until is None else parse_time(args.until, now),
            site=args.site,
            note=args.note or "",
        )
    _print(
        args, describe(override), f"{override.describe()}: recorded; a running VEN applies it within one poll"
    )
    return 0


def _store(config: VenConfig) -> Store:
    try:
        return Store.open(config.storage.url, base_dir=config.base_dir, ven_name=config.ven.name)
    except StorageError as err:
        raise InputError(f"storage.url: {err}") from None


def _print(args: argparse.Namespace, record: dict[str, object], text: str) -> None:
    print(json.dumps(record) if args.json else text)


def _table(overrides: list[dict[str, Any]]) -> str:
    if not overrides:
        return "no overrides"
    lines = []
    for o in overrides:
        what = f"event {o['event_id']}" if o["event_id"] else f"{o['from']} .. {o['until']}"
        state = "cancelled" if o["cancelled_at"] else "in force"
        lines.append(f"#{o['id']:<4} {what:<60} {o['site'] or 'whole fleet':<20} {state}")
    return "\n".join(lines)
