"""Market contexts: the programmes a VEN takes events for (conformance rule 48: a non-matching market
context is a logical error, answered optOut with a 4xx code). An empty set accepts every programme."""

from __future__ import annotations

from collections.abc import Collection


def market_context_refusal(market_context: str, accepted: Collection[str]) -> str | None:
    """Why an event of `market_context` is refused, or None if the VEN takes events of it."""
    if not accepted or market_context in accepted:
        return None
    listed = ", ".join(sorted(accepted))
    return f"market context {market_context or '(none)'!r} is not one this VEN is enrolled in ({listed})"
