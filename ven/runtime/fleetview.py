"""What this VEN publishes about itself for the fleet view (`ven fleet status`, GET /fleet)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ven.storage import VenStatus

if TYPE_CHECKING:
    from datetime import datetime

    from ven.chargers.gateway import FleetReading
    from ven.events import EventBook
    from ven.model.fleet import Fleet
    from ven.telemetry.sampler import FleetSample


def ven_status(
    *,
    now: datetime,
    link_up: bool,
    book: EventBook,
    fleet: Fleet,
    sample: FleetSample,
    requested_kw: float | None,
) -> VenStatus:
    """Link, the event in force and the next one, requested vs delivered now, EVs plugged, SOC by site."""
    interval = book.current_interval(now)
    upcoming = [v for v in book.views() if v.start > now and v.dispatchable]
    nxt = upcoming[0] if upcoming else None
    reading = sample.reading
    plugged = 0
    soc_by_site: dict[str, float] = {}
    if reading is not None:
        plugged = reading.plugged_in_count
        soc_by_site = _soc_by_site(fleet, reading)
    return VenStatus(
        link_up=link_up,
        active_event=None if interval is None else interval.view.event_id,
        next_event=None if nxt is None else nxt.event_id,
        next_event_start=None if nxt is None else nxt.start,
        requested_kw=None if interval is None else requested_kw,
        delivered_kw=None if interval is None else sample.delta_kw,
        evs=len(fleet),
        evs_plugged_in=plugged,
        soc_by_site=soc_by_site,
    )


def _soc_by_site(fleet: Fleet, reading: FleetReading) -> dict[str, float]:
    """Mean measured SOC of the plugged-in EVs at each site (sites with none plugged in are left out)."""
    sites = fleet.sites
    order = reading.positions(fleet.ids)
    soc = reading.soc[order]
    counted = reading.plugged_in[order] & np.isfinite(soc)
    count = len(sites.names)
    totals = np.bincount(sites.index, weights=np.where(counted, soc, 0.0), minlength=count)
    counts = np.bincount(sites.index, weights=counted.astype(np.float64), minlength=count)
    return {sites.names[k]: float(totals[k] / counts[k]) for k in np.flatnonzero(counts > 0).tolist()}
