"""What this VEN publishes about itself for the fleet view (`ven fleet status`, GET /fleet)."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np

from ven.storage import VenStatus

if TYPE_CHECKING:
    from datetime import datetime

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
        soc_by_site = _soc_by_site(fleet, reading.ev_ids, reading.soc, reading.plugged_in)
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


def _soc_by_site(
    fleet: Fleet, ev_ids: tuple[str, ...], soc: np.ndarray, plugged: np.ndarray
) -> dict[str, float]:
    """Mean measured SOC of the plugged-in EVs at each site (sites with none plugged in are left out)."""
    site_of = {ev.ev_id: ev.site for ev in fleet.evs}
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for ev_id, value, is_plugged in zip(ev_ids, soc.tolist(), plugged.tolist(), strict=True):
        site = site_of.get(ev_id)
        if site is not None and is_plugged and np.isfinite(value):
            acc = sums[site]
            acc[0] += value
            acc[1] += 1.0
    return {site: total / count for site, (total, count) in sorted(sums.items())}
