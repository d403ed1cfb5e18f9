"""Property: for every installed policy, "the next steps never happen" breaks neither reserve nor departure.

The VEN plans with the setpoint TTL as its hold; then it stalls for good. Each EV gets the setpoint the
controller would send now (the plan's first interval, or charge for its departure if it leaves within it),
which the simulated charger holds until it expires, then returns to baseline behaviour. The simulated fleet
(ven.chargers.simulated: its own physics, not the planner's envelope) runs that past every departure. No EV
may end below its reserve (or its starting SOC if lower), and none may leave below its departure SOC, or
below what its own charger alone would have given it where that is less.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

from policies import available_policies, load_policy
from policies.base import PlanningProblem
from tests.strategies import T0, fleets, horizons, requests
from ven.chargers.simulated import SimulatedFleet
from ven.clock import ManualClock
from ven.dispatch.request import leaving_kw
from ven.model.fleet import Fleet
from ven.model.horizon import Horizon
from ven.model.request import Request
from ven.plan import plan_problem

POLICIES = sorted(info.name for info in available_policies())
SOC_TOL = 1e-6
STEP_S = 600.0  # the simulated fleet integrates each step exactly; long steps keep the test quick


@st.composite
def stalls(draw: st.DrawFn) -> tuple[Fleet, Horizon, Request, timedelta]:
    fleet = draw(fleets())
    assume((fleet.plugged_in & np.isfinite(fleet.departure_ts)).any())  # a departure to keep
    horizon = draw(horizons())
    scale = float(fleet.max_charge_kw.sum() + fleet.max_discharge_kw.sum()) + 1.0
    ttl = timedelta(minutes=draw(st.sampled_from([1, 5, 20, 60, 180])))
    return fleet, horizon, draw(requests(horizon, scale)), ttl


def run_past_departures(fleet: Fleet, setpoints: dict[str, float], ttl: timedelta) -> tuple[object, ...]:
    """SOC when the setpoints lapse and after the last departure; and with no setpoint at all."""
    outcomes = []
    for commanded in (setpoints, {}):
        sim = SimulatedFleet(fleet, ManualClock(T0), step_s=STEP_S)
        if commanded:
            result = asyncio.run(sim.apply(commanded, valid_until=T0 + ttl))
            assert result.ok, result.rejected
        sim.advance(ttl.total_seconds())
        at_lapse = sim.soc.copy()
        departures = fleet.departure_ts[np.isfinite(fleet.departure_ts)]
        last_ts = float(departures.max()) if departures.size else T0.timestamp()
        sim.advance(max(last_ts - sim.now().timestamp(), 0.0) + 1.0)
        outcomes += [at_lapse, sim.soc.copy()]
    return tuple(outcomes)


@given(stalls())
def test_a_setpoint_held_until_it_lapses_then_baseline_keeps_reserve_and_departure(scenario):
    """Every policy's first step, held for the TTL and followed by baseline, keeps every EV safe."""
    fleet, horizon, request, ttl = scenario
    problem = PlanningProblem.build(fleet, request, hold_h=ttl.total_seconds() / 3600.0)
    leaving = leaving_kw(fleet, horizon, T0)
    plugged = fleet.plugged_in & (fleet.departure_ts > T0.timestamp())
    checked = 0
    for name in POLICIES:
        plan = plan_problem(problem, load_policy(name))
        power = plan.power_kw[:, 0] + leaving
        setpoints = {fleet.ids[i]: float(power[i]) for i in np.flatnonzero(plugged)}
        at_lapse, at_end, _, alone_end = run_past_departures(fleet, setpoints, ttl)
        reserve = np.minimum(fleet.min_soc, fleet.soc)
        assert np.all(at_lapse[plugged] >= reserve[plugged] - SOC_TOL), name
        leaves = plugged & np.isfinite(fleet.departure_ts)
        owed = np.minimum(fleet.departure_soc, alone_end)
        short = leaves & (at_end < owed - SOC_TOL)
        assert not short.any(), (name, [fleet.ids[i] for i in np.flatnonzero(short)])
        checked += int(leaves.sum())
    assert checked >= len(POLICIES) >= 4  # every policy, at least one departure each
