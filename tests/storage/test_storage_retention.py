"""Bounded storage: compact setpoints (only what changed), and pruning that never drops what is still owed."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from ven.events.model import EventStatus
from ven.storage import (
    FLEET_RESOURCE,
    DispatchDecision,
    EventBaseline,
    EventRecord,
    PerformanceRow,
    Retention,
    TelemetrySample,
)

EV_IDS = tuple(f"ev{i}" for i in range(10_000))


def decision(clock, interval: int, setpoints: dict[str, float], at_s: int = 0) -> DispatchDecision:
    return DispatchDecision(
        "e1", interval, clock.now() + timedelta(seconds=at_s), "optimal", 500.0, 480.0, setpoints
    )


def test_setpoints_round_trip_through_full_and_delta_rows(store, clock):
    """Every decision reads back exactly (to the watt), stored whole or as the setpoints that changed."""
    rng = np.random.default_rng(7)
    base = {
        ev: float(v) for ev, v in zip(EV_IDS, np.round(rng.uniform(-11, 11, len(EV_IDS)), 3), strict=True)
    }
    changed = dict(base)
    for ev in EV_IDS[:40]:
        changed[ev] = -7.25
    fewer = {ev: kw for ev, kw in changed.items() if ev != "ev5"}  # ev5 no longer commanded
    written = [decision(clock, 0, base), decision(clock, 0, changed, 10), decision(clock, 0, fewer, 20)]
    for d in written:
        store.dispatch.record(d, ev_ids=EV_IDS)
    store.dispatch.record(decision(clock, 1, {"ev1": 3.5}, 30), ev_ids=EV_IDS)
    back = store.dispatch.for_event("e1")
    assert len(back) == 4
    assert [dict(d.setpoints_kw) for d in back[:3]] == [d.setpoints_kw for d in written]
    assert back[3].setpoints_kw == {"ev1": 3.5}
    latest = store.dispatch.latest("e1", 0)
    assert latest is not None
    assert latest.setpoints_kw == fewer


def test_a_re_dispatch_of_10000_evs_stores_only_what_changed(store, clock, db_url):
    """A decision changing 40 of 10,000 setpoints costs well under 1 kB; a full one under 45 kB."""
    flat = dict.fromkeys(EV_IDS, 11.0)
    store.dispatch.record(decision(clock, 0, flat), ev_ids=EV_IDS)
    rng = np.random.default_rng(3)
    noisy = {ev: float(v) for ev, v in zip(EV_IDS, rng.uniform(-11, 11, len(EV_IDS)), strict=True)}
    store.dispatch.record(decision(clock, 1, noisy, 10), ev_ids=EV_IDS)
    nudged = dict(noisy)
    for ev in EV_IDS[100:140]:
        nudged[ev] = 0.0
    store.dispatch.record(decision(clock, 1, nudged, 20), ev_ids=EV_IDS)
    sizes = [
        len(bytes(row["setpoints"]))
        for row in store._backend.query("SELECT setpoints FROM dispatch ORDER BY id")
    ]
    assert len(sizes) == 3
    assert sizes[0] < 1_000  # one value repeated 10,000 times
    assert sizes[1] < 45_000  # 10,000 distinct watts values: int32, compressed
    assert sizes[2] < 1_000  # the 40 that changed


def test_telemetry_is_pruned_only_once_the_vtn_has_it(store, clock):
    """Samples past retention go only if reported; the unreported backlog stays whatever its age."""
    old = clock.now()
    store.telemetry.add(
        [TelemetrySample(old + timedelta(seconds=10 * i), FLEET_RESOURCE, float(i)) for i in range(6)]
    )
    ids = [s.id for s in store.telemetry.unreported()[:3] if s.id is not None]
    store.telemetry.mark_reported(ids)
    clock.advance(timedelta(days=40))
    pruned = store.prune(Retention())
    assert pruned.telemetry == 3
    assert [s.usage_kw for s in store.telemetry.unreported()] == [3.0, 4.0, 5.0]


def test_retention_drops_old_outcomes_and_keeps_pending_events(store, clock):
    """Old decisions, baselines, performance and finished events go; a pending event and its baseline stay."""
    t0 = clock.now()
    store.dispatch.record(decision(clock, 0, {"ev1": 1.0}), ev_ids=("ev1",))
    store.dispatch.record(decision(clock, 0, {"ev1": 2.0}, 10), ev_ids=("ev1",))
    for event_id, status in (("done", EventStatus.COMPLETED), ("later", EventStatus.FAR)):
        store.events.save(EventRecord(event_id, 0, {"id": event_id}, status, t0, t0 + timedelta(hours=1)))
        store.baselines.save(EventBaseline(event_id, t0, ("ev1",), np.array([[11.0]])))
    store.performance.save(PerformanceRow("done", 0, t0, t0 + timedelta(hours=1), 100.0, 90.0))
    clock.advance(timedelta(days=500))
    fresh = clock.now()
    store.dispatch.record(DispatchDecision("new", 0, fresh, "fair", 1.0, 1.0, {"ev1": 3.0}), ev_ids=("ev1",))
    pruned = store.prune(Retention())
    assert (pruned.dispatch, pruned.baselines, pruned.performance, pruned.events) == (2, 1, 1, 1)
    assert store.dispatch.for_event("e1") == []
    assert len(store.dispatch.for_event("new")) == 1
    assert store.events.get("done") is None
    assert store.events.get("later") is not None
    assert store.baselines.get("later") is not None
    assert store.baselines.get("done") is None
    assert store.performance.for_event("done") == []
    assert store.prune(Retention()).total == 0
