"""A real PostgreSQL server stopped and started under a store: writes are buffered, replayed, none lost."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ven.storage import (
    FLEET_RESOURCE,
    DispatchDecision,
    StorageUnavailableError,
    Store,
    TelemetrySample,
    VenStatus,
)


def test_writes_during_a_restart_are_replayed_in_order(own_postgres, clock):
    """While the server is down writes return at once and reads say unavailable; once it is back, every
    write is there, in order, and the VEN name is held again."""
    store = Store.open(own_postgres.url, clock=clock, ven_name="north")
    store.claim()
    ev_ids = tuple(f"ev{i}" for i in range(50))

    def write(second: int) -> None:
        at = clock.now() + timedelta(seconds=second)
        store.telemetry.add([TelemetrySample(at, FLEET_RESOURCE, float(second))])
        setpoints = {ev: float(second % 7) for ev in ev_ids}
        store.dispatch.record(DispatchDecision("e1", 0, at, "fair", 10.0, 9.0, setpoints), ev_ids=ev_ids)
        store.status.publish(VenStatus(link_up=True, active_event="e1", requested_kw=float(second)))

    write(0)
    own_postgres.stop()
    for second in range(1, 6):
        write(second)
    assert store.unavailable
    assert store.buffered_writes > 0
    with pytest.raises(StorageUnavailableError):
        store.telemetry.count_unreported()
    assert not store.recover()
    own_postgres.start()
    assert store.recover()
    assert not store.unavailable
    assert store.buffered_writes == 0
    assert [s.usage_kw for s in store.telemetry.unreported()] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    decisions = store.dispatch.for_event("e1")
    assert [d.setpoints_kw["ev0"] for d in decisions] == [float(s % 7) for s in range(6)]
    with Store.open(own_postgres.url, clock=clock, ven_name="") as viewer:
        [entry] = viewer.fleet.entries()
        assert entry.running  # the advisory lock was taken again on the new session
        assert entry.status.requested_kw == 5.0
    store.close()
