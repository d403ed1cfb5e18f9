"""Each event's baseline, frozen the first time the event is dispatched.

The baseline is what the fleet would draw with no event (CONTRACT.md). Recomputed at every control step
from the measured state, it would count the event's own effect: a bus that exported "would now charge",
so the baseline would climb as the fleet delivers and the reported delivery would look perfect while the
grid saw little. So it is computed once, from the state when dispatch starts, stored, and reused by every
re-plan, by the reports and after a restart. EVs that unplug drop out of it from then on (they would have
left with or without the event).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ven.model.baseline import baseline_kw
from ven.model.horizon import Horizon
from ven.storage import EventBaseline, StorageUnavailableError

if TYPE_CHECKING:
    from ven.model.fleet import Fleet, FloatArray
    from ven.storage import Store


class Baselines(Protocol):
    def for_event(self, event_id: str, horizon: Horizon, fleet: Fleet, now: datetime) -> FloatArray: ...


class FrozenBaselines:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._cache: dict[str, EventBaseline] = {}

    def for_event(self, event_id: str, horizon: Horizon, fleet: Fleet, now: datetime) -> FloatArray:
        """(N, K) baseline of `fleet` (its EV order) over the event's intervals; frozen on first call."""
        frozen = self.stored(event_id)
        if frozen is None:
            frozen = _freeze(event_id, horizon, fleet, now)
            self._store.baselines.save(frozen)
        self._cache = {event_id: frozen}  # the event being dispatched only: memory does not grow with events
        return _aligned(frozen, horizon, fleet)

    def preview(self) -> Baselines:
        """The same baselines, but an event not yet frozen gets one computed now and not kept (for
        looking ahead, e.g. the opt decision, before the event's dispatch freezes its own)."""
        return _Preview(self)

    def stored(self, event_id: str) -> EventBaseline | None:
        """The event's baseline if it was frozen (by this VEN, before a restart too)."""
        cached = self._cache.get(event_id)
        if cached is not None:
            return cached
        try:
            return self._store.baselines.get(event_id)
        except StorageUnavailableError:  # the database is restarting: freeze now (the first stored wins)
            return None


class _Preview:
    def __init__(self, baselines: FrozenBaselines) -> None:
        self._baselines = baselines

    def for_event(self, event_id: str, horizon: Horizon, fleet: Fleet, now: datetime) -> FloatArray:
        frozen = self._baselines.stored(event_id) or _freeze(event_id, horizon, fleet, now)
        return _aligned(frozen, horizon, fleet)


def _freeze(event_id: str, horizon: Horizon, fleet: Fleet, now: datetime) -> EventBaseline:
    """The no-event trajectory from the fleet's state now, for the current interval and the rest."""
    first = min(int(np.searchsorted(horizon.end_ts, now.timestamp(), side="right")), len(horizon) - 1)
    rest = Horizon(horizon.interval_start(first), horizon.durations[first:])
    return EventBaseline(event_id, rest.start, fleet.ids, np.asarray(baseline_kw(fleet, rest)))


def _aligned(frozen: EventBaseline, horizon: Horizon, fleet: Fleet) -> FloatArray:
    """The stored baseline in `fleet`'s EV order over all event intervals (0 before it was frozen)."""
    out = np.zeros((len(fleet), len(horizon)))
    tolerance_s = timedelta(seconds=1).total_seconds()
    first = int(np.searchsorted(horizon.start_ts, frozen.start.timestamp() - tolerance_s))
    width = min(frozen.baseline_kw.shape[1], len(horizon) - first)
    if width <= 0:
        return out
    if frozen.ev_ids == fleet.ids:  # every step of the event: the fleet it was frozen for, same order
        out[:, first : first + width] = frozen.baseline_kw[:, :width]
        return out
    rows = {ev_id: i for i, ev_id in enumerate(frozen.ev_ids)}
    found = [(i, row) for i, row in enumerate(map(rows.get, fleet.ids)) if row is not None]
    if found:
        at, row = (np.array(column, dtype=np.int64) for column in zip(*found, strict=True))
        out[at, first : first + width] = frozen.baseline_kw[row, :width]
    return out
