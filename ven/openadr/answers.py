"""OpenADR 2.0b answers: our protocol-neutral Answer as an eventResponse code, and the edge's own refusals.

What decided an answer fixes its response code (rule 48: logical errors are 4xx; which 4xx is
informational); every optIn and every optOut by choice (the plan, an owner, a test event) is 200.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ven.events.answers import Answer, AnswerSource, Opt
from ven.openadr.models import EventRejectedError, ResponseCode
from ven.openadr.signals import UnsupportedSignalError, event_horizon, event_request

if TYPE_CHECKING:
    from ven.events.view import EventView

_CODES = {
    AnswerSource.SEQUENCE: ResponseCode.OUT_OF_SEQUENCE,
    AnswerSource.INVALID: ResponseCode.INVALID_DATA,
    AnswerSource.UNSUPPORTED: ResponseCode.SIGNAL_NOT_SUPPORTED,
    AnswerSource.TARGET: ResponseCode.TARGET_MISMATCH,
    AnswerSource.MARKET_CONTEXT: ResponseCode.TARGET_MISMATCH,
}


def response_code(answer: Answer) -> ResponseCode:
    """The eventResponse responseCode for an answer."""
    return ResponseCode.OK if answer.opt is Opt.IN else _CODES.get(answer.source, ResponseCode.OK)


def refusal(err: EventRejectedError) -> Answer:
    """The optOut for an event the edge cannot convert: 460 for a signal we do not act on, else 454."""
    source = AnswerSource.UNSUPPORTED if isinstance(err, UnsupportedSignalError) else AnswerSource.INVALID
    return Answer.opt_out(err.problem, source)


def convertible(view: EventView) -> Answer | None:
    """A Decider: None when the event converts into a Request (signals we act on, values we can read),
    else its optOut. Cheap: the conversion is checked with zero baselines, no fleet involved."""
    try:
        zeros = np.zeros(len(event_horizon(view.event, view.offset)))
        event_request(view.event, baseline_kw=zeros, available_reduction_kw=zeros, simple_levels={})
    except EventRejectedError as err:
        return refusal(err)
    return None
