"""`ven fleet status --storage URL [--json]`: every VEN sharing one database, as one view.

Read-only: it migrates nothing and holds no VEN name. JSON shape (CONTRACT.md): {"vens": [{"name",
"ven_id", "link", "active_event", "requested_kw", "delivered_kw", "evs_plugged_in", "soc_by_site", …}]}.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ven.cli.parsing import add_command, command_group
from ven.errors import InputError
from ven.storage import StorageError, StorageUnavailableError, Store, fleet_json, resolve_storage_path
from ven.storage.backend import scheme_of


def register(commands: Any) -> None:
    fleet = add_command(commands, "fleet", "the VENs sharing a database")
    actions = command_group(fleet, "fleet_command")
    status = add_command(
        actions, "status", "every VEN in the database: link, event, requested vs delivered kW, EVs, SOC"
    )
    status.add_argument(
        "--storage",
        required=True,
        help="the database URL: sqlite:///path.db or postgresql://user@host:port/db",
    )
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(handler=run_status)


def run_status(args: argparse.Namespace) -> int:
    if scheme_of(args.storage) == "sqlite":  # a status tool must not create the file it is asked about
        path = resolve_storage_path(args.storage, Path.cwd())
        if path != ":memory:" and not Path(path).is_file():
            raise InputError(f"--storage: no database at {path}")
    try:
        store = Store.open(args.storage, base_dir=Path.cwd(), ven_name="", migrate=False)
    except StorageUnavailableError:
        raise
    except StorageError as err:
        raise InputError(f"--storage: {err}") from None
    with store:
        view = fleet_json(store.fleet.entries())
    if args.json:
        print(json.dumps(view))
        return 0
    print(_table(view["vens"]))
    return 0


def _table(vens: list[dict[str, Any]]) -> str:
    header = ("VEN", "link", "event", "requested kW", "delivered kW", "plugged", "SOC by site")
    rows = [header] + [
        (
            v["name"],
            v["link"],
            v["active_event"] or "-",
            _kw(v["requested_kw"]),
            _kw(v["delivered_kw"]),
            str(v["evs_plugged_in"]),
            " ".join(f"{site}={soc:.0%}" for site, soc in v["soc_by_site"].items()) or "-",
        )
        for v in vens
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = [
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]) for row in rows
    ]
    if not vens:
        lines.append("(no VEN has used this database yet)")
    return "\n".join(lines)


def _kw(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"
