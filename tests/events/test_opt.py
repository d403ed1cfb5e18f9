"""The opt decision: in when the fleet can deliver (its share of) every interval, else out with why."""

from __future__ import annotations

import logging

import pytest

from ven.events import decide
from ven.model.horizon import Horizon
from ven.model.request import Request
from ven.openadr.models import EventStatus, OptType, ResponseCode

from .conftest import QUARTER, START, make_event

REQUEST = Request.reduce(Horizon.uniform(START, QUARTER, 4), 500.0)


def test_opts_in_when_every_interval_is_deliverable() -> None:
    """Deliverable reduction at or above the request in every interval: optIn."""
    decision = decide(make_event(), REQUEST, [500.0, 510.0, 500.0, 600.0])
    assert (decision.opt, decision.response_code) == (OptType.OPT_IN, ResponseCode.OK)


def test_opts_out_naming_the_short_interval(caplog: pytest.LogCaptureFixture) -> None:
    """A shortfall in any interval opts out, saying where and by how much, and logs it."""
    with caplog.at_level(logging.INFO, logger="ven.events.opt"):
        decision = decide(make_event(), REQUEST, [500.0, 500.0, 500.0, 380.0])
    assert decision.opt is OptType.OPT_OUT
    assert decision.reason == "can deliver 380 of 500 kW reduction in interval 3"
    assert "can deliver 380 of 500 kW" in caplog.text


def test_share_relaxes_the_bar() -> None:
    """With share 0.75, 380 of 500 kW is enough."""
    assert decide(make_event(), REQUEST, [400.0, 400.0, 400.0, 380.0], share=0.75).opt is OptType.OPT_IN
    with pytest.raises(ValueError, match="share"):
        decide(make_event(), REQUEST, [500.0] * 4, share=1.5)


def test_load_up_counts_in_its_own_direction() -> None:
    """For a load-up request (negative reduction) delivering less extra load is the shortfall."""
    load_up = Request.reduce(REQUEST.horizon, -200.0)
    assert decide(make_event(), load_up, [-250.0] * 4).opt is OptType.OPT_IN
    short = decide(make_event(), load_up, [-250.0, -100.0, -250.0, -50.0])
    assert short.reason == "can deliver 100 of 200 kW load-up in interval 1 (2 of 4 intervals short)"


def test_test_cancelled_and_untargeted_events() -> None:
    """Test events opt in, cancellations are confirmed, untargeted events are refused with 462."""
    nothing = [0.0] * 4
    assert decide(make_event(test_event=True), REQUEST, nothing).opt is OptType.OPT_IN
    assert decide(make_event(status=EventStatus.CANCELLED), REQUEST, nothing).opt is OptType.OPT_IN
    refused = decide(make_event(), REQUEST, [500.0] * 4, targeted=False)
    assert (refused.opt, refused.response_code) == (OptType.OPT_OUT, ResponseCode.TARGET_MISMATCH)


def test_wrong_length_is_refused() -> None:
    """One deliverable value per request interval, or ValueError."""
    with pytest.raises(ValueError, match="expected 4"):
        decide(make_event(), REQUEST, [500.0] * 3)
