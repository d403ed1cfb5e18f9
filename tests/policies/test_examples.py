"""Worked examples with figures checked by hand, one behaviour each."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from policies import load_policy
from ven.model.baseline import baseline_kw
from ven.model.fleet import EV, Fleet
from ven.model.horizon import Horizon
from ven.model.request import Request
from ven.plan import make_plan

T0 = datetime(2026, 7, 14, 20, 0, tzinfo=UTC)
BUILT_IN = ["optimal", "proportional", "fair", "priority", "edf", "llf"]


def depot_fleet() -> Fleet:
    bus = {
        "capacity_kwh": 200.0,
        "max_charge_kw": 60.0,
        "max_discharge_kw": 60.0,
        "efficiency": 1.0,
        "min_soc": 0.2,
        "departure": T0 + timedelta(hours=10),
        "departure_soc": 0.9,
    }
    return Fleet(tuple(EV(f"bus{i}", "depot", soc=0.5 + 0.1 * i, **bus) for i in range(3)))  # type: ignore[arg-type]


def evening(reduce_kw: float, intervals: int = 4) -> Request:
    return Request.reduce(Horizon.uniform(T0, timedelta(minutes=30), intervals), reduce_kw)


@pytest.mark.parametrize("name", BUILT_IN)
def test_a_feasible_request_is_met_exactly(name):
    """300 kW for an hour from three 60 kW buses charging at 180 kW: curtail 180, export 120."""
    plan = make_plan(depot_fleet(), evening(300.0, intervals=2), load_policy(name))
    assert np.allclose(plan.reduction_kw, 300.0, atol=1e-6)
    assert plan.discharge_kwh == pytest.approx(120.0, abs=1e-6)
    assert plan.shortfall_kwh == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("name", BUILT_IN)
def test_curtailment_comes_before_export(name):
    """A 100 kW request is met by curtailing charging alone: no battery exports."""
    plan = make_plan(depot_fleet(), evening(100.0, intervals=1), load_policy(name))
    assert np.all(plan.power_kw >= -1e-9)
    assert np.allclose(plan.reduction_kw, 100.0, atol=1e-6)


@pytest.mark.parametrize("name", BUILT_IN)
def test_an_infeasible_request_is_met_as_far_as_it_can_be(name):
    """1,000 kW is beyond 3 × (60 + 60) kW: every bus exports at its limit, the rest is shortfall."""
    plan = make_plan(depot_fleet(), evening(1000.0, intervals=1), load_policy(name))
    assert np.allclose(plan.power_kw, -60.0)
    assert plan.shortfall_kw[0] == pytest.approx(1000.0 - 360.0)


@pytest.mark.parametrize("name", BUILT_IN)
def test_departure_needs_hold_back_the_reduction(name):
    """A car needing 30 kWh in 2 h on a 20 kW charger (baseline 40 kWh) can give up only 10 kWh."""
    car = EV(
        "car",
        "home",
        capacity_kwh=100.0,
        soc=0.5,
        max_charge_kw=20.0,
        efficiency=1.0,
        departure=T0 + timedelta(hours=2),
        departure_soc=0.8,
        min_soc=0.2,
    )
    plan = make_plan(Fleet((car,)), evening(20.0, intervals=4), load_policy(name))
    assert plan.soc[0, -1] == pytest.approx(0.8, abs=1e-9)
    assert float(plan.reduction_kw @ plan.problem.request.horizon.duration_h) == pytest.approx(10.0, abs=1e-6)


def test_priority_protects_the_higher_priority_ev():
    """With one bus of priority 1, the priority policy takes the reduction from the others first."""
    evs = list(depot_fleet().evs)
    evs[0] = _with_priority(evs[0])
    plan = make_plan(Fleet(tuple(evs)), evening(120.0, intervals=1), load_policy("priority"))
    assert plan.power_kw[0, 0] == pytest.approx(60.0)
    assert plan.power_kw[1:, 0] == pytest.approx([0.0, 0.0])


def _with_priority(ev: EV) -> EV:
    return replace(ev, priority=1)


def test_fair_equalises_the_soc_margin():
    """Two identical buses at different SOC: fair takes more from the fuller one until margins meet."""
    plan = make_plan(depot_fleet(), evening(60.0, intervals=1), load_policy("fair"))
    margins = plan.soc[:, 1] - 0.2
    # bus2 starts fullest: it gives the most; the two emptier buses give less.
    assert plan.power_kw[2, 0] < plan.power_kw[1, 0] < plan.power_kw[0, 0]
    assert margins[2] == pytest.approx(margins[1], abs=1e-6)


def test_proportional_splits_by_headroom():
    """Equal headroom: equal shares."""
    plan = make_plan(depot_fleet(), evening(90.0, intervals=1), load_policy("proportional"))
    assert plan.power_kw[:, 0] == pytest.approx([30.0, 30.0, 30.0])


def test_setpoint_becomes_a_reduction_from_baseline():
    """A fleet setpoint of −100 kW against a 180 kW baseline asks for a 280 kW reduction."""
    fleet = depot_fleet()
    horizon = Horizon.uniform(T0, timedelta(minutes=30), 1)
    request = Request.setpoint(horizon, baseline_kw(fleet, horizon).sum(axis=0), -100.0)
    plan = make_plan(fleet, request, load_policy("optimal"))
    assert plan.fleet_power_kw[0] == pytest.approx(-100.0)


def test_optimal_spreads_the_burden_across_identical_evs():
    """Identical buses end the event having given the same energy under the optimiser's fairness objective."""
    bus = depot_fleet().evs[0]
    fleet = Fleet(tuple(replace(bus, ev_id=f"b{i}", soc=0.6) for i in range(4)))
    plan = make_plan(fleet, evening(300.0, intervals=2), load_policy("optimal"))
    given_kwh = (plan.problem.baseline_kw - plan.power_kw) @ plan.problem.request.horizon.duration_h
    assert given_kwh == pytest.approx([75.0] * 4, abs=1e-5)
