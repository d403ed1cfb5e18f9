"""Dispatch-quality metrics (ven.metrics): the definitions on hand-checked figures."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from policies import load_policy
from tests.policies.test_examples import T0, depot_fleet, evening
from ven.metrics import Throughput, Tracking, dispatch_metrics, plan_metrics, user_satisfaction
from ven.model.fleet import Fleet
from ven.plan import make_plan


def test_tracking_error_and_delivered_ratio():
    """Asked 10 and 10 kW for 30 min each, delivered 8 and 12: |2|·0.5 + |2|·0.5 = 2 kWh; ratio 1."""
    tracking = Tracking(np.array([10.0, 10.0]), np.array([8.0, 12.0]), np.array([0.5, 0.5]))
    assert tracking.error_kwh == pytest.approx(2.0)
    assert tracking.delivered_ratio == pytest.approx(1.0)


def test_nothing_requested_has_no_ratio():
    """With no energy requested the delivered/requested ratio is undefined (None), not a division error."""
    assert Tracking(np.zeros(2), np.array([1.0, -1.0]), np.ones(2)).delivered_ratio is None


def test_user_satisfaction_is_capped_at_one():
    """40 of 80 kWh needed: 0.5; 90 of 80: 1; nothing needed: 1."""
    satisfied = user_satisfaction(np.array([40.0, 90.0, 10.0]), np.array([80.0, 80.0, 0.0]))
    assert satisfied == pytest.approx([0.5, 1.0, 1.0])


def test_throughput_counts_discharge_at_the_charger_and_cycles_from_the_battery():
    """−10 kW then −20 kW for 30 min (eff 0.9, 0.8): 15 kWh exported, 5/0.9 + 10/0.8 drawn, over 150 kWh."""
    power = np.array([[-10.0, 5.0], [0.0, -20.0], [-3.0, 0.0]])
    throughput = Throughput.of(
        power,
        np.array([0.5, 0.5]),
        np.array([0.9, 0.8, 1.0]),
        np.array([50.0, 100.0, 70.0]),
        np.array([True, True, False]),
    )
    assert throughput.discharged_kwh == pytest.approx(16.5)
    assert throughput.equivalent_full_cycles == pytest.approx((5 / 0.9 + 10 / 0.8 + 1.5) / 150.0)


def test_metrics_without_departures_have_no_satisfaction():
    """No EV leaves at a set time: user satisfaction is None (nothing to measure), the rest are numbers."""
    tracking = Tracking(np.ones(1), np.ones(1), np.ones(1))
    metrics = dispatch_metrics(tracking, Throughput(0.0, 0.0, 0.0), np.zeros(0))
    assert metrics.user_satisfaction_min is None
    assert metrics.user_satisfaction_mean is None
    assert metrics.equivalent_full_cycles == 0.0


def test_a_plan_meets_every_departure_it_can():
    """Three buses that all make 0.9 by departure: satisfaction 1; 120 kWh exported over 600 kWh of V2G."""
    plan = make_plan(depot_fleet(), evening(300.0, intervals=2), load_policy("optimal"))
    metrics = plan_metrics(plan)
    assert metrics.user_satisfaction_min == pytest.approx(1.0)
    assert metrics.discharged_kwh == pytest.approx(120.0, abs=1e-6)
    assert metrics.equivalent_full_cycles == pytest.approx(120.0 / 600.0, abs=1e-8)
    assert metrics.energy_tracking_error_kwh == pytest.approx(0.0, abs=1e-6)


def test_an_ev_that_cannot_make_its_departure_lowers_the_minimum():
    """A 200 kWh bus at 10 % leaving in 1 h on 60 kW reaches 20 + 60 = 80 kWh of the 180 needed: 4/9."""
    bus = replace(depot_fleet().evs[0], soc=0.1, min_soc=0.0, departure=T0 + timedelta(hours=1))
    others = depot_fleet().evs[1:]
    plan = make_plan(Fleet((bus, *others)), evening(50.0, intervals=4), load_policy("fair"))
    metrics = plan_metrics(plan)
    assert metrics.user_satisfaction_min == pytest.approx(80.0 / 180.0)
    assert metrics.user_satisfaction_mean == pytest.approx((80.0 / 180.0 + 2.0) / 3.0)
