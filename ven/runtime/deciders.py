"""The answers decided before the configured policy's plan, in order (docs/eiopt.md, "Who answers an
event"): the edge's own refusals, a programme the VEN is not in (4xx), unavailability (owner overrides,
configured windows), test events, then the forecast for future events the fleet as it is cannot show."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ven.events import Answer, AnswerSource, answer_test_events
from ven.events.market import market_context_refusal
from ven.events.signals import convertible
from ven.runtime.outlook import forecast_decider

if TYPE_CHECKING:
    from collections.abc import Callable

    from ven.clock import Clock
    from ven.events import Decider, EventView
    from ven.model.fleet import Fleet
    from ven.runtime.availability import AvailabilityKeeper
    from ven.runtime.config import VenConfig


def event_deciders(
    config: VenConfig, keeper: AvailabilityKeeper, *, fleet_now: Callable[[], Fleet], clock: Clock
) -> list[Decider]:
    accepted = config.ven.market_contexts

    def market(view: EventView) -> Answer | None:
        refusal = market_context_refusal(view.event.market_context, accepted)
        return None if refusal is None else Answer.opt_out(refusal, AnswerSource.MARKET_CONTEXT)

    def unavailable(view: EventView) -> Answer | None:
        reason = keeper.blocking(view)
        return None if reason is None else Answer.opt_out(reason, AnswerSource.OWNER)

    dispatch = config.dispatch
    return [
        convertible,
        market,
        unavailable,
        answer_test_events,
        forecast_decider(
            fleet_now=fleet_now,
            keeper=keeper,
            clock=clock,
            simple_levels=config.signals.simple.levels,
            margin=dispatch.margin,
            share=dispatch.opt_in_share,
        ),
    ]
