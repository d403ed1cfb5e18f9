"""`ven events --config ven.toml` lists stored events (status, opt, delivered); `ven event ID --config
ven.toml` shows one event interval by interval (requested vs delivered reduction, kW)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ven.cli.parsing import add_command
from ven.errors import InputError
from ven.runtime.config import load_config
from ven.storage import EventRecord, PerformanceRow, Store
from ven.storage.url import MEMORY, resolve_storage_path


def register(commands: Any) -> None:
    listing = add_command(
        commands,
        "events",
        "list the events the VEN has stored",
        "Lists the events in the VEN's database ([storage] url of the config): status, opt answer, "
        "requested and delivered kW on average. Reads only: a database that does not exist yet is "
        "reported, not created.",
    )
    listing.add_argument("--config", required=True, help="the VEN config file (TOML)")
    listing.add_argument("--json", action="store_true", help="print a JSON list")
    listing.set_defaults(handler=run_list)
    one = add_command(
        commands,
        "event",
        "one stored event: requested vs delivered per interval",
        "Shows one event from the VEN's database interval by interval: requested, baseline, measured and "
        "delivered kW.",
    )
    one.add_argument("event_id", metavar="EVENT_ID", help="the event's id (as `ven events` lists it)")
    one.add_argument("--config", required=True, help="the VEN config file (TOML)")
    one.add_argument("--json", action="store_true", help="print JSON")
    one.set_defaults(handler=run_one)


def _open(args: argparse.Namespace) -> Store | str:
    """The VEN's store, or the path of its SQLite file when that does not exist yet (never created here)."""
    config = load_config(args.config)
    url = config.storage.url
    if url.startswith("sqlite:") or "://" not in url:
        path = resolve_storage_path(url, config.base_dir)
        if path != MEMORY and not Path(path).exists():
            return path
    return Store.open(url, base_dir=config.base_dir, ven_name=config.ven.name)


def _delivered_avg(rows: list[PerformanceRow]) -> float | None:
    values = [r.delivered_kw for r in rows if r.delivered_kw is not None]
    return sum(values) / len(values) if values else None


def _summary(record: EventRecord, rows: list[PerformanceRow]) -> dict[str, Any]:
    requested = [r.requested_kw for r in rows]
    return {
        "event_id": record.event_id,
        "modification_number": record.modification_number,
        "status": record.status.value,
        "opt": None if record.opt is None else record.opt.value,
        "answered": record.answered,
        "start": record.start.isoformat(),
        "end": record.end.isoformat(),
        "requested_kw_avg": sum(requested) / len(requested) if requested else None,
        "delivered_kw_avg": _delivered_avg(rows),
    }


def _kw(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def run_list(args: argparse.Namespace) -> int:
    store = _open(args)
    events: list[dict[str, Any]] = []
    if isinstance(store, str):
        print(f"ven: no database at {store} yet (`ven run` creates it): no events", file=sys.stderr)
    else:
        with store:
            events = [_summary(r, store.performance.for_event(r.event_id)) for r in store.events.latest()]
    if args.json:
        print(json.dumps(events))
        return 0
    print(f"{'event':<24} {'mod':>3} {'status':<10} {'opt':<7} {'start':<26} {'req kW':>8} {'del kW':>8}")
    for e in events:
        print(
            f"{e['event_id']:<24} {e['modification_number']:>3} {e['status']:<10} {e['opt'] or '-':<7} "
            f"{e['start']:<26} {_kw(e['requested_kw_avg']):>8} {_kw(e['delivered_kw_avg']):>8}"
        )
    return 0


def run_one(args: argparse.Namespace) -> int:
    store = _open(args)
    if isinstance(store, str):
        raise InputError(f"no event {args.event_id!r}: no database at {store} yet (`ven run` creates it)")
    with store:
        record = store.events.get(args.event_id)
        if record is None:
            raise InputError(f"no event {args.event_id!r} in {store.path}")
        rows = store.performance.for_event(args.event_id)
    intervals: list[dict[str, Any]] = [
        {
            "index": r.interval_index,
            "start": r.start.isoformat(),
            "end": r.end.isoformat(),
            "requested_kw": r.requested_kw,
            "baseline_kw": r.baseline_kw,
            "measured_kw": r.measured_kw,
            "delivered_kw": r.delivered_kw,
            "exported_kwh": r.exported_kwh,
            "departure_socs": dict(r.departure_socs),
        }
        for r in rows
    ]
    if args.json:
        print(json.dumps({**_summary(record, rows), "intervals": intervals}))
        return 0
    summary = _summary(record, rows)
    print(
        f"event {record.event_id} (modification {record.modification_number}): {summary['status']}, "
        f"{summary['opt'] or 'not answered'}"
    )
    print(f"{'#':>3} {'start':<26} {'requested':>10} {'baseline':>9} {'measured':>9} {'delivered':>10}")
    for i in intervals:
        print(
            f"{i['index']:>3} {i['start']:<26} {_kw(i['requested_kw']):>10} {_kw(i['baseline_kw']):>9} "
            f"{_kw(i['measured_kw']):>9} {_kw(i['delivered_kw']):>10}"
        )
    return 0
