"""`edf` and `llf` (ACN-Sim's sorting schedulers) on worked examples, figures checked by hand."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from policies import load_policy
from tests.policies.test_examples import T0, evening
from ven.model.fleet import EV, Fleet
from ven.plan import make_plan


def _car(ev_id: str, soc: float, departs_h: float | None, discharge_kw: float = 0.0) -> EV:
    return EV(
        ev_id,
        "depot",
        capacity_kwh=100.0,
        soc=soc,
        max_charge_kw=10.0,
        max_discharge_kw=discharge_kw,
        efficiency=1.0,
        min_soc=0.2,
        departure=None if departs_h is None else T0 + timedelta(hours=departs_h),
        departure_soc=0.8,
    )


def test_edf_curtails_the_ev_that_leaves_last_first():
    """10 kW less from three 10 kW chargers: the car leaving at 9 h stops, the 5 h and 7 h cars charge on."""
    fleet = Fleet((_car("soon", 0.5, 5.0), _car("late", 0.5, 9.0), _car("mid", 0.5, 7.0)))
    plan = make_plan(fleet, evening(10.0, intervals=1), load_policy("edf"))
    assert plan.power_kw[:, 0] == pytest.approx([10.0, 0.0, 10.0])


def test_edf_takes_extra_load_into_the_ev_that_leaves_first():
    """A 5 kW load-up on two cars idle at their target: the one leaving first takes it."""
    fleet = Fleet(
        tuple(
            EV(e.ev_id, e.site, 100.0, 0.5, 10.0, target_soc=0.5, departure=e.departure, efficiency=1.0)
            for e in (_car("late", 0.5, 9.0), _car("soon", 0.5, 5.0))
        )
    )
    plan = make_plan(fleet, evening(-5.0, intervals=1), load_policy("edf"))
    assert plan.power_kw[:, 0] == pytest.approx([0.0, 5.0])


def test_llf_curtails_the_ev_with_most_slack_first():
    """Same departure (6 h): the car needing 40 kWh (2 h of slack) charges; the one needing 10 kWh gives."""
    fleet = Fleet((_car("empty", 0.4, 6.0), _car("full", 0.7, 6.0)))
    plan = make_plan(fleet, evening(10.0, intervals=1), load_policy("llf"))
    assert plan.power_kw[:, 0] == pytest.approx([10.0, 0.0])


@pytest.mark.parametrize("name", ["edf", "llf"])
def test_export_only_after_every_charger_is_curtailed(name):
    """25 kW from two charging V2G cars: both curtail (20 kW), then the least urgent exports the last 5 kW."""
    fleet = Fleet((_car("soon", 0.5, 5.0, discharge_kw=10.0), _car("late", 0.5, 9.0, discharge_kw=10.0)))
    plan = make_plan(fleet, evening(25.0, intervals=1), load_policy(name))
    assert plan.power_kw[:, 0] == pytest.approx([0.0, -5.0])
    assert np.all(plan.shortfall_kw == pytest.approx(0.0))
