"""`optimal` against a plain full LP (tests/policies/reference_lp.py) on generated programme fleets."""

from __future__ import annotations

from hypothesis import given, settings

from policies.optimal import OptimalPolicy
from tests.policies.reference_lp import full_lp
from tests.strategies import programme_scenarios
from ven.model.fleet import Fleet
from ven.model.request import Request
from ven.plan import make_plan

# Each example solves the full LP (and, on load-up near full, a MIP): keep CI's share reasonable.
EXAMPLES = 60
SHORTFALL_TOL = 1e-3  # of the requested energy
DISCHARGE_TOL = 1e-2  # of the full LP's discharge energy
# Solver tolerances (HiGHS holds each stage within ~1e-7 of the fleet's energy scale): per kWh the
# fleet could move at full power over the horizon.
SOLVER_TOL = 1e-6


def _assert_close_to_full_lp(fleet: Fleet, request: Request, policy: OptimalPolicy) -> None:
    reference = full_lp(fleet, request)
    plan = make_plan(fleet, request, policy)
    scale_kwh = (
        float(fleet.max_charge_kw.sum() + fleet.max_discharge_kw.sum()) * request.horizon.duration_h.sum()
    )
    slack_kwh = SOLVER_TOL * scale_kwh + 1e-9
    assert plan.shortfall_kwh <= reference.shortfall_kwh + SHORTFALL_TOL * reference.requested_kwh + slack_kwh
    assert plan.discharge_kwh <= reference.discharge_kwh * (1.0 + DISCHARGE_TOL) + slack_kwh


@settings(max_examples=EXAMPLES)
@given(programme_scenarios())
def test_optimal_matches_the_full_lp(scenario):
    """Within 0.1 % of the requested energy in shortfall and 1 % in discharge energy of the full LP."""
    _assert_close_to_full_lp(scenario.fleet, scenario.request, OptimalPolicy())
