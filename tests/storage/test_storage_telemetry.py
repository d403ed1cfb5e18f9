"""Telemetry: the unreported backlog survives outages and restarts; bulk inserts are fast; sharing is safe."""

from __future__ import annotations

import threading
from datetime import timedelta

from ven.storage import FLEET_RESOURCE, Store, TelemetrySample


def samples(clock, count: int, start_s: int = 0) -> list[TelemetrySample]:
    t0 = clock.now()
    return [
        TelemetrySample(
            t0 + timedelta(seconds=10 * (start_s + i)), FLEET_RESOURCE, 100.0 + i, 150.0, 50.0 - i, 0.6
        )
        for i in range(count)
    ]


def test_unreported_since_and_mark_reported(store, clock):
    """unreported() lists what the VTN lacks (oldest first, from `since`); mark_reported() removes it."""
    store.telemetry.add(samples(clock, 5))
    store.telemetry.add([TelemetrySample(clock.now(), "ev1", -7.5, soc=0.5)])
    backlog = store.telemetry.unreported()
    assert len(backlog) == 6
    assert backlog[0].resource in {FLEET_RESOURCE, "ev1"}
    assert [s.ts for s in backlog] == sorted(s.ts for s in backlog)
    later = store.telemetry.unreported(since=clock.now() + timedelta(seconds=20))
    assert [s.usage_kw for s in later] == [102.0, 103.0, 104.0]
    assert [s.soc for s in store.telemetry.unreported(resource="ev1")] == [0.5]
    assert len(store.telemetry.unreported(limit=2)) == 2
    ids = [s.id for s in backlog[:4] if s.id is not None]
    assert store.telemetry.mark_reported(ids) == 4
    assert store.telemetry.mark_reported(ids) == 0
    assert store.telemetry.count_unreported() == 2


def test_unreported_samples_survive_a_restart(db_url, clock):
    """Samples taken while the VTN was unreachable are still there, unreported, after a reopen."""
    with Store.open(db_url, clock=clock) as store:
        store.telemetry.add(samples(clock, 3))
        first = store.telemetry.unreported()[0]
        assert first.id is not None
        store.telemetry.mark_reported([first.id])
    with Store.open(db_url, clock=clock) as store:
        backlog = store.telemetry.unreported()
        assert [s.usage_kw for s in backlog] == [101.0, 102.0]
        assert backlog[0].baseline_kw == 150.0
        assert backlog[0].delta_kw == 49.0
        assert not backlog[0].reported


def test_between_and_prune(store, clock):
    """between() selects a time window; prune() drops old reported samples, never the backlog by default."""
    store.telemetry.add(samples(clock, 6))
    window = store.telemetry.between(clock.now() + timedelta(seconds=10), clock.now() + timedelta(seconds=30))
    assert [s.usage_kw for s in window] == [101.0, 102.0]
    store.telemetry.mark_reported([s.id for s in store.telemetry.unreported()[:2] if s.id is not None])
    cutoff = clock.now() + timedelta(seconds=35)
    assert store.telemetry.prune(cutoff) == 2
    assert store.telemetry.count_unreported() == 4
    assert store.telemetry.prune(cutoff, reported_only=False) == 2


def test_ten_thousand_samples_in_one_transaction(store, clock):
    """10,000 samples go in in one transaction, come back as the backlog and are all marked reported."""
    batch = [
        TelemetrySample(clock.now() + timedelta(seconds=i), f"ev{i % 1000}", 7.0, 11.0, 4.0, 0.5)
        for i in range(10_000)
    ]
    assert store.telemetry.add(batch) == 10_000
    backlog = store.telemetry.unreported()
    store.telemetry.mark_reported(s.id for s in backlog if s.id is not None)
    assert len(backlog) == 10_000
    assert store.telemetry.count_unreported() == 0


def test_threads_can_share_one_store(store, clock):
    """Worker threads writing through one Store lose nothing (the connection is lock-protected)."""

    def writer(k: int) -> None:
        for i in range(50):
            store.telemetry.add(samples(clock, 4, start_s=1000 * k + 4 * i))

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.telemetry.count_unreported() == 4 * 50 * 4


def test_two_stores_on_one_file_interleave(db_url, clock):
    """Two connections to the same file (e.g. the VEN and a status tool) see each other's commits."""
    with Store.open(db_url, clock=clock) as first, Store.open(db_url, clock=clock) as second:
        first.telemetry.add(samples(clock, 2))
        assert second.telemetry.count_unreported() == 2
        second.telemetry.mark_reported([s.id for s in second.telemetry.unreported() if s.id is not None])
        assert first.telemetry.count_unreported() == 0
