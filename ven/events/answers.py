"""The VEN's answer to one event modification: opt in or out, why, and what decided it.

Protocol-neutral: a protocol edge maps an Answer to its own wire form (2.0b: ven.openadr.answers gives the
eventResponse code). Each answer lives in one place, the EventBook (`EventView.answer`, persisted with the
event), whoever decided it; only an event answered optIn reaches dispatch (`EventView.dispatchable`).

Deciders are the hook for answers from other sources than the plan: each looks at one event and returns
an Answer, or None to let the next one decide. The runtime consults the book's own answers first (a
confirmed cancellation, an out-of-sequence modification, a foreign target), then its deciders in order
(the protocol edge's "can this be converted at all", market context, owner overrides, test events), and
only then plans with the configured policy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ven.events.view import EventView


class Opt(StrEnum):
    """Whether the VEN takes part (values as OpenADR spells its optType; stored as such)."""

    IN = "optIn"
    OUT = "optOut"


class AnswerSource(StrEnum):
    """What decided an answer; the protocol edge derives its response code from it."""

    CANCELLATION = "cancellation"  # a cancellation confirmed
    SEQUENCE = "sequence"  # an older modification than the one known
    INVALID = "invalid"  # values the VEN cannot read (e.g. a SIMPLE level of 7)
    UNSUPPORTED = "unsupported"  # a signal the VEN cannot act on
    TARGET = "target"  # the event targets none of this VEN's ids, resources, groups or parties
    MARKET_CONTEXT = "market_context"  # a programme this VEN is not enrolled in
    OWNER = "owner"  # an owner override or unavailability window
    TEST_EVENT = "test_event"  # answered, never dispatched
    POLICY = "policy"  # the configured policy's plan for the fleet as it is


@dataclass(frozen=True, slots=True)
class Answer:
    opt: Opt
    reason: str
    source: AnswerSource

    @classmethod
    def opt_in(cls, reason: str = "OK", source: AnswerSource = AnswerSource.POLICY) -> Answer:
        return cls(Opt.IN, reason, source)

    @classmethod
    def opt_out(cls, reason: str, source: AnswerSource = AnswerSource.POLICY) -> Answer:
        return cls(Opt.OUT, reason, source)


Decider = Callable[["EventView"], Answer | None]


def answer_test_events(view: EventView) -> Answer | None:
    """Test events are answered optIn and never dispatched (EventView.dispatchable)."""
    if view.event.test_event:
        return Answer.opt_in("test event: answered, not dispatched", AnswerSource.TEST_EVENT)
    return None
