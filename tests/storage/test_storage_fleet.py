"""Many VENs on one database: rows owned by VEN name, one process per name, the fleet view."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ven.storage import (
    FLEET_RESOURCE,
    DispatchDecision,
    PerformanceRow,
    Registration,
    StorageError,
    Store,
    TelemetrySample,
    VenNameInUseError,
    VenStatus,
    fleet_json,
)


def test_each_ven_sees_only_its_own_rows(db_url, clock):
    """Two VENs on one database keep separate registrations, telemetry and decisions."""
    with (
        Store.open(db_url, clock=clock, ven_name="north") as north,
        Store.open(db_url, clock=clock, ven_name="south") as south,
    ):
        north.registration.save(Registration("ven-n", "reg-n", "VTN"))
        south.registration.save(Registration("ven-s", "reg-s", "VTN"))
        north.telemetry.add([TelemetrySample(clock.now(), FLEET_RESOURCE, 10.0)])
        south.telemetry.add([TelemetrySample(clock.now(), FLEET_RESOURCE, 20.0)])
        north.dispatch.record(DispatchDecision("e1", 0, clock.now(), "fair", 5.0, 5.0, {"a": 1.0}))
        registration = south.registration.load()
        assert registration is not None
        assert registration.ven_id == "ven-s"
        assert [s.usage_kw for s in south.telemetry.unreported()] == [20.0]
        assert south.dispatch.for_event("e1") == []
        assert len(north.dispatch.for_event("e1")) == 1
        assert north.fleet.names() == ["north", "south"]


def test_a_ven_name_is_held_by_one_process_at_a_time(db_url, clock):
    """claim() refuses a name another store holds, names the database, and frees it on close."""
    first = Store.open(db_url, clock=clock, ven_name="district-a")
    first.claim()
    assert first.fleet.entries()[0].running
    second = Store.open(db_url, clock=clock, ven_name="district-a")
    with pytest.raises(VenNameInUseError, match=r"district-a.*already running"):
        second.claim()
    other = Store.open(db_url, clock=clock, ven_name="district-b")
    other.claim()  # another name on the same database is fine
    first.close()
    second.claim()
    assert {e.name: e.running for e in second.fleet.entries()} == {"district-a": True, "district-b": True}
    second.close()
    other.close()
    with pytest.raises(StorageError, match="several VENs"):
        Store.open(db_url, clock=clock).close()  # without a name: which VEN's rows?
    with Store.open(db_url, clock=clock, ven_name="") as viewer:
        assert {e.name: e.link for e in viewer.fleet.entries()} == {
            "district-a": "stopped",
            "district-b": "stopped",
        }


def test_fleet_view_has_the_contract_fields(db_url, clock):
    """Published status comes back per VEN in CONTRACT.md's shape, with recent events' averages."""
    with Store.open(db_url, clock=clock, ven_name="north") as north:
        north.claim()
        north.registration.save(Registration("ven-n", "reg-n", "VTN"))
        north.status.publish(
            VenStatus(
                link_up=True,
                active_event="e1",
                requested_kw=100.0,
                delivered_kw=95.5,
                evs=4,
                evs_plugged_in=3,
                soc_by_site={"depot": 0.61234, "yard": 0.5},
            )
        )
        start = clock.now()
        for k, delivered in enumerate((90.0, 100.0)):
            north.performance.save(
                PerformanceRow(
                    "e1",
                    k,
                    start + timedelta(minutes=5 * k),
                    start + timedelta(minutes=5 * (k + 1)),
                    100.0,
                    delivered,
                )
            )
        view = fleet_json(north.fleet.entries())
    [entry] = view["vens"]
    assert {
        k: entry[k] for k in ("name", "ven_id", "link", "active_event", "requested_kw", "delivered_kw")
    } == {
        "name": "north",
        "ven_id": "ven-n",
        "link": "up",
        "active_event": "e1",
        "requested_kw": 100.0,
        "delivered_kw": 95.5,
    }
    assert entry["evs_plugged_in"] == 3
    assert entry["soc_by_site"] == {"depot": 0.6123, "yard": 0.5}
    [event] = entry["events"]
    assert (event["event_id"], event["requested_kw_avg"], event["delivered_kw_avg"]) == ("e1", 100.0, 95.0)


def test_stopped_ven_shows_no_live_figures(db_url, clock):
    """A VEN that stopped is listed as stopped, without an active event or live kW."""
    with Store.open(db_url, clock=clock, ven_name="north") as north:
        north.claim()
        north.status.publish(VenStatus(link_up=True, active_event="e1", requested_kw=5.0, delivered_kw=5.0))
    with Store.open(db_url, clock=clock) as viewer:
        [entry] = fleet_json(viewer.fleet.entries())["vens"]
    assert (entry["link"], entry["active_event"], entry["requested_kw"]) == ("stopped", None, None)
