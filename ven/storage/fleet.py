"""The VENs sharing a database: each one's row in `vens` (its lifecycle and latest status), read as one view.

A VEN writes only its own row; `ven fleet status` and GET /fleet read every row. Whether a VEN runs is asked
of the lock that holds its name (not of a heartbeat), so a VEN killed a second ago shows as stopped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ven.storage.db import from_json, optional_time, to_db_time, to_json
from ven.storage.records import EventSummary, FleetEntry, VenStatus

if TYPE_CHECKING:
    from ven.storage.backend import Backend
    from ven.storage.db import Scope

_RECENT_EVENTS = 5


class VenStatusRepository:
    """The VEN's own row: started, its status every telemetry sample, stopped."""

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def started(self) -> None:
        self._scope.backend.execute(
            """INSERT INTO vens (ven, started_at) VALUES (:ven, :now)
               ON CONFLICT (ven) DO UPDATE SET started_at = excluded.started_at, stopped_at = NULL""",
            {"ven": self._scope.ven, "now": self._scope.now_text()},
        )

    def publish(self, status: VenStatus) -> None:
        next_start = status.next_event_start
        self._scope.backend.execute(
            """UPDATE vens SET link_up = :link_up, active_event = :active_event, next_event = :next_event,
                 next_event_start = :next_event_start, requested_kw = :requested_kw,
                 delivered_kw = :delivered_kw, evs = :evs, evs_plugged_in = :evs_plugged_in,
                 soc_by_site = :soc_by_site, status_at = :now
               WHERE ven = :ven""",
            {
                "ven": self._scope.ven,
                "link_up": int(status.link_up),
                "active_event": status.active_event,
                "next_event": status.next_event,
                "next_event_start": None if next_start is None else to_db_time(next_start),
                "requested_kw": status.requested_kw,
                "delivered_kw": status.delivered_kw,
                "evs": status.evs,
                "evs_plugged_in": status.evs_plugged_in,
                "soc_by_site": to_json({site: round(soc, 4) for site, soc in status.soc_by_site.items()}),
                "now": self._scope.now_text(),
            },
        )

    def stopped(self) -> None:
        self._scope.backend.execute(
            "UPDATE vens SET stopped_at = :now, link_up = 0, active_event = NULL WHERE ven = :ven",
            {"ven": self._scope.ven, "now": self._scope.now_text()},
        )


class FleetRepository:
    """Every VEN in the database, for the one view across them."""

    def __init__(self, backend: Backend) -> None:
        self._db = backend

    def names(self) -> list[str]:
        return [str(row["ven"]) for row in self._db.query("SELECT ven FROM vens ORDER BY ven")]

    def entries(self) -> list[FleetEntry]:
        rows = self._db.query("SELECT * FROM vens ORDER BY ven")
        return [self._entry(row) for row in rows]

    def _entry(self, row: dict[str, Any]) -> FleetEntry:
        name = str(row["ven"])
        status = VenStatus(
            link_up=bool(row["link_up"]),
            active_event=row["active_event"],
            next_event=row["next_event"],
            next_event_start=optional_time(row["next_event_start"]),
            requested_kw=row["requested_kw"],
            delivered_kw=row["delivered_kw"],
            evs=row["evs"] or 0,
            evs_plugged_in=row["evs_plugged_in"] or 0,
            soc_by_site=from_json(row["soc_by_site"]),
        )
        events = self._db.query(
            """SELECT event_id, MIN(start_at) AS start_at, MAX(end_at) AS end_at,
                 AVG(requested_kw) AS requested_kw, AVG(delivered_kw) AS delivered_kw
               FROM performance WHERE ven = :ven GROUP BY event_id ORDER BY MIN(start_at) DESC LIMIT :n""",
            {"ven": name, "n": _RECENT_EVENTS},
        )
        return FleetEntry(
            name=name,
            ven_id=row["ven_id"],
            running=self._db.ven_running(name),
            status=status,
            status_at=optional_time(row["status_at"]),
            started_at=optional_time(row["started_at"]),
            events=tuple(
                EventSummary(
                    e["event_id"],
                    optional_time(e["start_at"]),  # type: ignore[arg-type]
                    optional_time(e["end_at"]),  # type: ignore[arg-type]
                    float(e["requested_kw"]),
                    None if e["delivered_kw"] is None else float(e["delivered_kw"]),
                )
                for e in events
            ),
        )


def fleet_json(entries: list[FleetEntry]) -> dict[str, Any]:
    """CONTRACT.md's shape: {"vens": [{"name", "ven_id", "link", "active_event", "requested_kw",
    "delivered_kw", "evs_plugged_in", "soc_by_site"}]}, with a few more fields beside those."""
    return {
        "vens": [
            {
                "name": e.name,
                "ven_id": e.ven_id,
                "link": e.link,
                "active_event": e.status.active_event if e.running else None,
                "requested_kw": e.status.requested_kw if e.running else None,
                "delivered_kw": e.status.delivered_kw if e.running else None,
                "evs_plugged_in": e.status.evs_plugged_in,
                "soc_by_site": dict(e.status.soc_by_site),
                "evs": e.status.evs,
                "next_event": e.status.next_event,
                "next_event_start": _iso(e.status.next_event_start),
                "status_at": _iso(e.status_at),
                "started_at": _iso(e.started_at),
                "events": [
                    {
                        "event_id": s.event_id,
                        "start": _iso(s.start),
                        "end": _iso(s.end),
                        "requested_kw_avg": s.requested_kw_avg,
                        "delivered_kw_avg": s.delivered_kw_avg,
                    }
                    for s in e.events
                ],
            }
            for e in entries
        ]
    }


def _iso(value: object) -> str | None:
    return None if value is None else value.isoformat()  # type: ignore[attr-defined]
