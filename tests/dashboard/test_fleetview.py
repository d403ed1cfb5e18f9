"""The per-EV table and SOC groups, computed on columns, checked against plain per-EV Python."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from ven.chargers.gateway import FleetReading
from ven.http.fleetview import MAX_CLASSES, EvQuery, FleetFrame, FleetIndex
from ven.model.fleet import EV, Fleet

NOW = datetime(2026, 7, 14, 16, 0, tzinfo=UTC)


def fleet_of(size: int, sites: int, kinds: int = 3) -> Fleet:
    evs = []
    for i in range(size):
        charge = 7.0 + i % kinds
        evs.append(
            EV(
                ev_id=f"ev{(size - i) * 7 % 1000:03d}-{i}",
                site=f"s{i % sites}",
                capacity_kwh=50.0 + 10 * (i % 4),
                soc=0.25 + (i * 13 % 70) / 100,
                max_charge_kw=charge,
                max_discharge_kw=0.0 if i % 5 == 0 else charge - 1,
                departure=None if i % 6 == 0 else NOW + timedelta(minutes=20 + 17 * i % 400),
                departure_soc=0.8,
            )
        )
    return Fleet(tuple(evs))


def reading_of(fleet: Fleet, seed: int) -> FleetReading:
    rng = np.random.default_rng(seed)
    size = len(fleet)
    soc = np.where(rng.random(size) < 0.1, np.nan, rng.uniform(0.1, 1.0, size))
    return FleetReading(
        timestamp=NOW,
        ev_ids=fleet.ids,
        power_kw=rng.uniform(-10, 10, size),
        soc=soc,
        plugged_in=rng.random(size) < 0.8,
        online=rng.random(size) < 0.9,
        setpoint_kw=np.full(size, np.nan),
        faults={fleet.ids[0]: "ground fault"},
    )


@given(st.integers(1, 120), st.integers(1, 9), st.integers(0, 10_000))
def test_soc_by_site_is_stored_energy_over_capacity(size: int, sites: int, seed: int) -> None:
    """Each site's SOC is its EVs' stored energy over their capacity (EVs with a known SOC), with counts."""
    fleet = fleet_of(size, sites)
    reading = reading_of(fleet, seed)
    groups = FleetFrame(FleetIndex.of(fleet), fleet, reading, NOW).soc_groups("site")
    assert sum(g.evs for g in groups) == size
    for group in groups:
        members = [i for i, ev in enumerate(fleet.evs) if ev.site == group.name]
        known = [i for i in members if np.isfinite(reading.soc[i])]
        energy = sum(reading.soc[i] * fleet.capacity_kwh[i] for i in known)
        capacity = sum(fleet.capacity_kwh[i] for i in known)
        assert group.evs == len(members)
        assert group.plugged_in == sum(bool(reading.plugged_in[i]) for i in members)
        if known:
            assert group.soc is not None
            assert abs(group.soc - energy / capacity) < 1e-12
        else:
            assert group.soc is None


@given(
    st.integers(1, 200), st.integers(1, 12), st.integers(0, 10_000), st.integers(0, 60), st.integers(1, 40)
)
def test_a_page_is_the_filtered_sorted_slice(
    size: int, sites: int, seed: int, offset: int, limit: int
) -> None:
    """A page holds, in order, exactly the site's EVs sorted by SOC (unknown SOC last), from offset on."""
    fleet = fleet_of(size, sites)
    reading = reading_of(fleet, seed)
    frame = FleetFrame(FleetIndex.of(fleet), fleet, reading, NOW)
    page = frame.page(EvQuery(site="s0", sort="soc", offset=offset, limit=limit))
    members = [i for i, ev in enumerate(fleet.evs) if ev.site == "s0"]
    expected = sorted(members, key=lambda i: (np.isnan(reading.soc[i]), np.nan_to_num(reading.soc[i]), i))
    assert page.matched == len(members)
    assert [r.ev_id for r in page.rows] == [fleet.ids[i] for i in expected[offset : offset + limit]]
    assert all(r.site == "s0" for r in page.rows)


def test_id_search_risk_filter_and_departure_states() -> None:
    """The id filter is a case-insensitive substring; at risk = plugged in, not yet left, and short of its
    departure SOC even charging flat out from now; a charger's fault is shown as such."""
    fleet = fleet_of(300, 7)
    reading = reading_of(fleet, 1)
    frame = FleetFrame(FleetIndex.of(fleet), fleet, reading, NOW)
    found = frame.page(EvQuery(q="EV00", limit=500))
    assert found.matched == sum("ev00" in i for i in fleet.ids) > 0
    risky = frame.page(EvQuery(at_risk=True, limit=500))
    soc = np.where(np.isfinite(reading.soc), reading.soc, fleet.soc)
    expected = 0
    for i, ev in enumerate(fleet.evs):
        if ev.departure is None or ev.departure <= NOW or not reading.plugged_in[i]:
            continue
        hours = (ev.departure - NOW).total_seconds() / 3600
        if soc[i] + ev.max_charge_kw * ev.efficiency * hours / ev.capacity_kwh < ev.departure_soc - 1e-6:
            expected += 1
    assert risky.matched == risky.at_risk == expected > 0
    assert {r.departure_state for r in risky.rows} == {"at risk"}
    everyone = frame.page(EvQuery(limit=500))
    assert {r.departure_state for r in everyone.rows} == {"at risk", "on track", None}
    assert next(r for r in everyone.rows if r.ev_id == fleet.ids[0]).charger == "fault: ground fault"


def test_classes_are_limit_pairs_with_the_smallest_grouped_as_other() -> None:
    """Vehicle classes are (charge, discharge) limit pairs; beyond MAX_CLASSES the smallest share 'other'."""
    few = FleetIndex.of(fleet_of(60, 3, kinds=2))
    assert few.classes == ["V1G 7 kW", "V1G 8 kW", "V2G 7/6 kW", "V2G 8/7 kW"]
    many = FleetIndex.of(fleet_of(400, 3, kinds=9))
    assert len(many.classes) == MAX_CLASSES
    assert "other" in many.classes
    assert len(set(many.class_of.tolist())) == MAX_CLASSES
