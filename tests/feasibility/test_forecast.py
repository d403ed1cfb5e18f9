"""The flexibility forecast: 96 quarter hours from who is plugged in, departures and routines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from ven.feasibility.forecast import STEPS, floor_to_step, forecast
from ven.model.enrollment import parse_fleet
from ven.model.presence import stays

NOW = datetime(2026, 7, 14, 20, 7, tzinfo=UTC)  # Tuesday 16:07 in New York
BUS = (
    "ev_id,site,capacity_kwh,soc,max_charge_kw,max_discharge_kw,min_soc,departure,departure_soc,timezone,"
    "days,plug_in,plug_in_soc\n"
    "bus-01,depot,226,0.85,60,60,0.25,06:15,0.9,America/New_York,mon-fri,16:00,0.55\n"
)
CAR = """ev_id,site,capacity_kwh,soc,max_charge_kw,max_discharge_kw,min_soc,target_soc
car,home,60,0.5,7,7,0.2,0.5
"""


def test_first_step_at_the_quarter_hour_and_96_steps() -> None:
    """now rounded down to the quarter hour; 24 h of 15-minute steps."""
    start = floor_to_step(NOW)
    result = forecast(parse_fleet(CAR, now=start), start)
    assert start == datetime(2026, 7, 14, 20, 0, tzinfo=UTC)
    assert len(result.horizon) == STEPS
    assert result.horizon.end - start == timedelta(hours=24)


def test_parked_full_ev_offers_export_above_reserve_every_step() -> None:
    """At its target, a parked V2G car offers only export (7 kW, no curtailment) and 18 kWh above reserve."""
    start = floor_to_step(NOW)
    result = forecast(parse_fleet(CAR, now=start), start)
    assert set(result.available_reduction_kw.tolist()) == {7.0}
    assert set(result.available_curtailment_kw.tolist()) == {0.0}
    assert np.allclose(result.energy_above_reserve_kwh, 18.0)


def test_routine_bus_leaves_and_comes_back() -> None:
    """The bus offers while in, nothing from its 06:15 departure, and again from 16:00 the next day."""
    start = floor_to_step(NOW)
    result = forecast(parse_fleet(BUS, now=start), start, steps=STEPS + 4)
    leave = datetime(2026, 7, 15, 10, 15, tzinfo=UTC)  # 06:15 EDT
    back = datetime(2026, 7, 15, 20, 0, tzinfo=UTC)  # 16:00 EDT
    starts = result.horizon.start_ts
    before = starts < leave.timestamp()
    away = (starts >= leave.timestamp()) & (starts < back.timestamp())
    after = starts >= back.timestamp()
    assert (result.available_reduction_kw[before] > 0).all()
    assert (result.available_reduction_kw[away] == 0).all()
    assert (result.available_reduction_kw[after] > 0).all()
    # back with plug_in_soc 0.55: (0.55 - 0.25) x 226 kWh above reserve
    assert np.isclose(result.energy_above_reserve_kwh[after][0], 0.30 * 226)


def test_departure_floor_shrinks_what_is_offered_before_leaving() -> None:
    """Before its departure the bus must hold its departure SOC: its export shrinks to nothing."""
    start = floor_to_step(NOW)
    result = forecast(parse_fleet(BUS, now=start), start)
    leave = datetime(2026, 7, 15, 10, 15, tzinfo=UTC)
    last = int(np.searchsorted(result.horizon.end_ts, leave.timestamp(), side="right")) - 1
    # bus full (1.0 x 226) by then; 0.9 needed: 22.6 kWh above the departure floor in the last quarter
    assert result.available_reduction_kw[last] <= 60.0
    assert result.available_reduction_kw[0] == 120.0  # 60 kW baseline + 60 kW export early on


def test_held_steps_offer_nothing() -> None:
    """Steps marked held (unavailability, overrides) contribute nothing."""
    start = floor_to_step(NOW)
    held = np.zeros((1, STEPS), dtype=bool)
    held[0, 4:8] = True
    result = forecast(parse_fleet(CAR, now=start), start, held=held)
    assert result.available_reduction_kw[4:8].tolist() == [0.0] * 4
    assert result.available_reduction_kw[8] == 7.0


def test_stays_of_an_ev_away_now() -> None:
    """Away now with a routine: it comes back at plug_in with plug_in_soc."""
    text = BUS.replace("0.85,60,60,0.25,06:15", "0.85,60,60,0.25,06:15").replace(
        "mon-fri,16:00", "mon-fri,16:30"
    )
    fleet = parse_fleet(text.replace("bus-01,depot,226,0.85", "bus-01,depot,226,0.85"), now=NOW)
    fleet = fleet.with_state(plugged_in=[False])
    [stay] = stays(fleet, NOW, NOW + timedelta(hours=12))
    assert stay.start == datetime(2026, 7, 14, 20, 30, tzinfo=UTC)
    assert stay.soc == 0.55
