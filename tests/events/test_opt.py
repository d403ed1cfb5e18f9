"""The plan's opt decision: in when the plan delivers the opt-in share of the requested energy, else out."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from ven.events import AnswerSource, Opt, Outlook, decide

HOURS = np.full(4, 0.25)
ASK = np.full(4, 500.0)  # 500 kW reduction for an hour: 500 kWh


def outlook(delivered: list[float], requested: np.ndarray = ASK, usable: int = 10) -> Outlook:
    return Outlook.of(requested, np.array(delivered), HOURS, usable)


def test_share_counts_energy_up_to_each_interval_ask() -> None:
    """Over-delivery in one interval does not make up for another: energy is capped per interval."""
    assert outlook([500.0] * 4).share == pytest.approx(1.0)
    assert outlook([600.0, 600.0, 300.0, 300.0]).share == pytest.approx(0.8)
    assert outlook([0.0] * 4).share == 0.0
    assert outlook([-50.0] * 4).share == 0.0  # more load is no reduction


def test_opts_in_at_the_share_and_out_below_it(caplog: pytest.LogCaptureFixture) -> None:
    """80 % of the energy opts in at share 0.8 and out at 0.9; the planned share is logged either way."""
    with caplog.at_level(logging.INFO, logger="ven.events.opt"):
        yes = decide("e1", 0, outlook([500.0, 500.0, 500.0, 100.0]), 0.8)
        no = decide("e1", 0, outlook([500.0, 500.0, 500.0, 100.0]), 0.9)
    assert (yes.opt, yes.source) == (Opt.IN, AnswerSource.POLICY)
    assert (no.opt, no.source) == (Opt.OUT, AnswerSource.POLICY)
    assert (
        no.reason
        == "plan delivers 80% of the requested 500.0 kWh (400.0 kWh, 10 EVs), below the opt-in share 90%"
    )
    logged = [r.getMessage() for r in caplog.records]
    assert len(logged) == 2
    assert all("plan delivers 80%" in line for line in logged)
    assert [r.levelno for r in caplog.records] == [logging.INFO, logging.WARNING]


def test_load_up_counts_in_its_own_direction() -> None:
    """For a load-up request (negative reduction) extra load is what counts, up to the ask."""
    load_up = np.full(4, -200.0)
    assert outlook([-250.0] * 4, load_up).share == pytest.approx(1.0)
    assert outlook([-100.0, -200.0, 0.0, 50.0], load_up).share == pytest.approx(0.375)
    assert decide("e1", 0, outlook([-100.0, -200.0, 0.0, 50.0], load_up), 0.8).opt is Opt.OUT


def test_nothing_to_deliver_never_opts_in() -> None:
    """With no usable EV the answer is optOut, even for a request of nothing or a share of 0."""
    for requested in (ASK, np.zeros(4)):
        answer = decide("e1", 0, outlook([0.0] * 4, requested, usable=0), 0.0)
        assert answer.opt is Opt.OUT
        assert "no EV" in answer.reason
    nothing_asked = decide("e1", 0, outlook([0.0] * 4, np.zeros(4), usable=3), 0.8)
    assert nothing_asked.opt is Opt.IN


def test_bad_share_and_shapes_are_refused() -> None:
    """A share outside 0..1 or per-interval arrays of different lengths are programming errors."""
    with pytest.raises(ValueError, match="opt_in_share"):
        decide("e1", 0, outlook([500.0] * 4), 1.5)
    with pytest.raises(ValueError, match="shapes"):
        Outlook.of(ASK, np.zeros(3), HOURS, 1)
