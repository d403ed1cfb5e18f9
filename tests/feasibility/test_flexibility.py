"""The one definition of available reduction: cases, and a property that it is always safe to use."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from hypothesis import given, settings

from tests.strategies import T0, fleets, horizons
from ven.feasibility.envelope import Envelope
from ven.feasibility.flexibility import flexibility
from ven.feasibility.verify import violations
from ven.model.fleet import EV, Fleet
from ven.model.horizon import Horizon

QUARTER = Horizon.uniform(T0, timedelta(minutes=15), 1)


def ev(**changes: object) -> EV:
    fields: dict[str, object] = {
        "ev_id": "ev",
        "site": "depot",
        "capacity_kwh": 100.0,
        "soc": 0.5,
        "max_charge_kw": 10.0,
        "max_discharge_kw": 20.0,
        "min_soc": 0.2,
        "efficiency": 1.0,
    }
    fields.update(changes)
    return EV(**fields)  # type: ignore[arg-type]


def one(**changes: object) -> tuple[float, float, float]:
    flex = flexibility(Envelope(Fleet((ev(**changes),)), QUARTER))
    return (
        float(flex.available_reduction_kw[0]),
        float(flex.available_curtailment_kw[0]),
        float(flex.total_energy_above_reserve_kwh[0]),
    )


def test_free_ev_offers_its_baseline_and_its_export() -> None:
    """Charging at 10 kW with 20 kW of V2G and plenty above reserve: 30 kW, of which 10 curtailment."""
    assert one() == (30.0, 10.0, 30.0)


def test_v1g_ev_offers_its_baseline_only() -> None:
    """No discharge: reduction and curtailment are both its baseline."""
    assert one(max_discharge_kw=0.0)[:2] == (10.0, 10.0)


def test_reserve_limits_export() -> None:
    """1 kWh above reserve over a quarter hour: at most 4 kW of export (old definition: 20 kW)."""
    assert one(soc=0.21)[:2] == (14.0, 10.0)


def test_departure_floor_limits_curtailment() -> None:
    """An EV that must charge 7.5 kW this quarter to make its departure offers only the other 2.5 kW."""
    # 50 kWh now; 81.875 kWh at departure in 3 h 15 min; 30 kWh can come after this quarter at 10 kW,
    # so 1.875 kWh must come in it: 7.5 kW.
    flex = flexibility(
        Envelope(
            Fleet(
                (ev(departure=T0 + timedelta(hours=3.25), departure_soc=0.81875),),
            ),
            QUARTER,
        )
    )
    assert float(flex.available_curtailment_kw[0]) == 2.5
    assert float(flex.available_reduction_kw[0]) == 2.5


def test_hopeless_and_unplugged_evs_offer_nothing() -> None:
    """An EV that cannot make its departure SOC charges flat out; an unplugged one is not there."""
    assert one(departure=T0 + timedelta(hours=1), departure_soc=1.0)[:2] == (0.0, 0.0)
    assert one(plugged_in=False) == (0.0, 0.0, 0.0)


@given(fleet=fleets(), horizon=horizons())
@settings(max_examples=300, deadline=None)
def test_the_first_intervals_floor_is_safe_to_dispatch(fleet: Fleet, horizon: Horizon) -> None:
    """Every EV at its floor in the first interval (what TELEMETRY_STATUS offers), then as the envelope
    allows from there: never a hard-constraint breach; and 0 <= curtailment <= reduction everywhere."""
    envelope = Envelope(fleet, horizon)
    flex = flexibility(envelope)
    assert (flex.curtailment_kw >= -1e-9).all()
    assert (flex.curtailment_kw <= flex.reduction_kw + 1e-9).all()
    power = np.array(envelope.baseline_kw, dtype=np.float64)
    power[:, 0] = flex.floor_kw[:, 0]
    energy = fleet.energy_kwh.copy()
    for j, dt_h in enumerate(horizon.duration_h):
        lo, hi = envelope.step_bounds(j, energy)
        if j > 0:
            power[:, j] = np.clip(power[:, j], lo, hi)
        delta = np.where(power[:, j] >= 0, fleet.efficiency * power[:, j], power[:, j] / fleet.efficiency)
        energy = energy + delta * dt_h
    assert violations(envelope, power) == []
