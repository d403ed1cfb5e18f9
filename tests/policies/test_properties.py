"""Property tests: every built-in policy honours every hard constraint on random fleets and requests,
checked by an independent simulation of the contract's physics (contract_check), not the verifier."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies import load_policy
from tests.policies.contract_check import contract_violations
from tests.policies.test_examples import depot_fleet, evening
from tests.strategies import T0, fleets, horizons, requests
from ven.model.fleet import EV, Fleet
from ven.model.horizon import Horizon
from ven.plan import Plan, make_plan

BUILT_IN = ["optimal", "proportional", "fair", "priority", "edf", "llf"]


@st.composite
def scenarios(draw: st.DrawFn, v2g: bool = True, reduce_only: bool = False) -> tuple[Fleet, Horizon, object]:
    fleet = draw(fleets(v2g=v2g))
    horizon = draw(horizons())
    scale = float(fleet.max_charge_kw.sum() + fleet.max_discharge_kw.sum()) + 1.0
    return fleet, horizon, draw(requests(horizon, scale, reduce_only))


def _plans(scenario: tuple[Fleet, Horizon, object]) -> dict[str, Plan]:
    fleet, _, request = scenario
    return {name: make_plan(fleet, request, load_policy(name)) for name in BUILT_IN}  # type: ignore[arg-type]


@given(scenarios())
def test_no_policy_ever_breaks_a_hard_constraint(scenario):
    """Simulated EV by EV from the contract (power limits, reserve, SOC ≤ 1, availability, departure SOC,
    hopeless EVs at full rate), no built-in policy's plan breaks a hard constraint."""
    fleet, horizon, _ = scenario
    plans = _plans(scenario)
    assert len(plans) == len(BUILT_IN)
    for name, plan in plans.items():
        assert contract_violations(fleet, horizon, plan.power_kw) == [], name


def test_the_contract_check_catches_every_kind_of_breach():
    """The independent check is not vacuous: each hard constraint broken on purpose is reported."""
    horizon = Horizon(T0, (timedelta(hours=1),) * 2)
    bus = EV("bus", "depot", 100.0, 0.5, 50.0, 40.0, min_soc=0.3, departure=T0 + timedelta(hours=3))
    stays = EV("stays", "depot", 100.0, 0.5, 50.0, 40.0, min_soc=0.3)
    low = EV("low", "depot", 100.0, 0.1, 50.0, 40.0, min_soc=0.3)
    gone = EV("gone", "depot", 100.0, 0.5, 50.0, 40.0, departure=T0 + timedelta(minutes=30))
    late = EV("late", "depot", 100.0, 0.1, 10.0, 10.0, departure=T0 + timedelta(hours=2), departure_soc=0.9)
    fine = contract_violations(Fleet((bus,)), horizon, [[0.0, 0.0]])
    assert fine == []
    cases = {
        "outside": (bus, [60.0, 0.0]),
        "below its reserve": (stays, [-40.0, 0.0]),
        "above 1": (stays, [50.0, 50.0]),
        "started below its reserve": (low, [-1.0, 0.0]),
        "not available": (gone, [1.0, 0.0]),
        "cannot reach departure SOC": (bus, [-20.0, -20.0]),
        "not charged at full rate": (late, [10.0, 5.0]),
    }
    for expected, (ev, row) in cases.items():
        found = contract_violations(Fleet((ev,)), horizon, [row])
        assert any(expected in problem for problem in found), (expected, found)


@given(scenarios())
def test_optimal_shortfall_is_never_worse_than_any_heuristic(scenario):
    """The whole-horizon LP falls short by no more energy than any other built-in policy."""
    plans = _plans(scenario)
    tolerance = 1e-5 * (1.0 + float(np.abs(plans["optimal"].requested_kw).sum()))
    for name, plan in plans.items():
        assert plans["optimal"].shortfall_kwh <= plan.shortfall_kwh + tolerance, name


@given(scenarios(reduce_only=True))
def test_no_interval_is_over_delivered_beyond_the_margin(scenario):
    """For reduction requests, delivery never exceeds requested·(1 + margin)."""
    for name, plan in _plans(scenario).items():
        assert np.all(plan.excess_kw <= 1e-6), name


@given(scenarios(v2g=False))
def test_an_all_v1g_fleet_never_discharges(scenario):
    """With max_discharge_kw = 0 everywhere no policy exports."""
    for name, plan in _plans(scenario).items():
        assert np.all(plan.power_kw >= -1e-9), name


@given(scenarios())
def test_an_ev_that_cannot_make_departure_is_charged_flat_out(scenario):
    """Where even full-rate charging cannot reach departure_soc, the EV charges at max_charge_kw."""
    for name, plan in _plans(scenario).items():
        envelope = plan.problem.envelope
        for i in np.nonzero(envelope.hopeless)[0]:
            on = envelope.available[i]
            assert np.allclose(plan.power_kw[i, on], plan.fleet.max_charge_kw[i], atol=1e-6), name
            assert np.all(plan.power_kw[i, ~on] == 0.0), name


@pytest.mark.parametrize("name", BUILT_IN)
def test_policies_are_pure_and_repeatable(name):
    """The same snapshot gives the same allocation twice (no hidden state, no clock reads)."""
    fleet, request = depot_fleet(), evening(400.0)
    first = make_plan(fleet, request, load_policy(name)).power_kw
    second = make_plan(fleet, request, load_policy(name)).power_kw
    assert np.array_equal(first, second)
