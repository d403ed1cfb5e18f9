"""Helpers for openleadr's parsed message dicts."""

from __future__ import annotations

from typing import Any


def as_list(value: Any) -> list[Any]:
    """xmltodict gives a dict for one child and a list for several."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
