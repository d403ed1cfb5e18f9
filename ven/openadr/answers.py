"""OpenADR 2.0b answers: our protocol-neutral Answer as an eventResponse code.

What decided an answer fixes its response code (rule 48: logical errors are 4xx; which 4xx is
informational); every optIn and every optOut by choice (the plan, an owner, a test event) is 200.
"""

from __future__ import annotations

from ven.events.answers import Answer, AnswerSource, Opt
from ven.openadr.models import ResponseCode

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
