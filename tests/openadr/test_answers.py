"""Our protocol-neutral answers as OpenADR 2.0b eventResponse codes."""

from __future__ import annotations

from ven.events import Answer, AnswerSource
from ven.events.model import MalformedEventError
from ven.events.signals import UnsupportedSignalError, refusal
from ven.openadr.answers import response_code
from ven.openadr.models import ResponseCode

REFUSALS = {
    AnswerSource.SEQUENCE: ResponseCode.OUT_OF_SEQUENCE,
    AnswerSource.INVALID: ResponseCode.INVALID_DATA,
    AnswerSource.UNSUPPORTED: ResponseCode.SIGNAL_NOT_SUPPORTED,
    AnswerSource.TARGET: ResponseCode.TARGET_MISMATCH,
    AnswerSource.MARKET_CONTEXT: ResponseCode.TARGET_MISMATCH,
}


def test_logical_errors_are_4xx_and_choices_are_200() -> None:
    """Every optIn is 200; an optOut is 4xx for a logical error (rule 48) and 200 when it is a choice."""
    assert len(AnswerSource) == 9
    for source in AnswerSource:
        assert response_code(Answer.opt_in("ok", source)) is ResponseCode.OK
        assert response_code(Answer.opt_out("no", source)) is REFUSALS.get(source, ResponseCode.OK)


def test_edge_refusals_say_what_was_wrong() -> None:
    """An unsupported signal is refused as such (460), anything else unreadable as invalid (454)."""
    assert refusal(UnsupportedSignalError("e1", "signal BID_LOAD/setpoint not supported")) == Answer.opt_out(
        "signal BID_LOAD/setpoint not supported", AnswerSource.UNSUPPORTED
    )
    assert refusal(MalformedEventError("e1", "SIMPLE level 7.0 outside 0-3")).source is AnswerSource.INVALID
