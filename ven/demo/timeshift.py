"""Pin an enrollment file to one afternoon and move it in time: the example fleet describes its state at
15:40 on a programme day; the demo runs that afternoon now, on its simulated clock.

Departures given as local times of day (the EVs' routines) or offsets resolve to absolute times at the
programme day's reference time; then every departure moves by the shift. The routine columns go: the demo
watches one afternoon and the night after, so no EV needs to come back. Other columns stay as written.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ven.model.enrollment import parse_fleet

ROUTINE_COLUMNS = ("timezone", "days", "plug_in", "plug_in_soc")


def shift_fleet_csv(
    text: str, delta: timedelta, *, reference: datetime, timezone: ZoneInfo | None = None
) -> str:
    """The fleet as it stands at `reference`, every departure absolute and moved by `delta`."""
    fleet = parse_fleet(text, "<example fleet>", now=reference, timezone=timezone)
    departures = {ev.ev_id: ev.departure for ev in fleet.evs}
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        return text
    fields = [name for name in rows[0] if name.strip() not in ROUTINE_COLUMNS]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        if not any((value or "").strip() for value in row.values()):
            continue
        departure = departures[(row.get("ev_id") or "").strip()]
        if "departure" in row:
            row["departure"] = "" if departure is None else (departure + delta).isoformat()
        writer.writerow(row)
    return out.getvalue()
