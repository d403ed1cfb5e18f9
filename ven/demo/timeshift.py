"""Move an enrollment file in time: the example fleet describes one summer afternoon; the demo runs it today.

Only `departure` holds times; every other column is copied as written.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from ven.timeparse import parse_iso_datetime


def shift_fleet_csv(text: str, delta: timedelta) -> str:
    """The same CSV with every departure moved by `delta` (UTC offsets kept)."""
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows:
        return text
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        departure = (row.get("departure") or "").strip()
        if departure:
            row["departure"] = (parse_iso_datetime(departure) + delta).isoformat()
        writer.writerow(row)
    return out.getvalue()
