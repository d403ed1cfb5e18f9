"""Who may see what (Definition, "Object Privacy"), and the list queries every search endpoint shares.

- BL clients see everything.
- vens, resources, reports and subscriptions are visible to the client whose clientID they carry.
- programs and events without targets are visible to every VEN client. With targets, a VEN client sees them
  when they share a target with the targets granted to it (its ven objects' and their resources'), narrowed
  to the targets it asks for when it gives any, and the answer shows only those targets ("target hiding").
  The Definition says the request's targets and the granted ones are intersected; the User Guide (8.13)
  shows a VEN reading a targeted event without giving any: a request without targets uses the granted ones.
- Events made through the admin API are addressed to VENs, not targets: a VEN client sees those sent to one
  of its vens, with that venName as the only target.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from multidict import MultiMapping

from vtn_mock.openadr3.problems import bad_request

OBJECT_ID = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
MAX_LIMIT = 50
INT32_MAX = 2**31 - 1
T = TypeVar("T")


@dataclass(frozen=True)
class Query:
    skip: int = 0
    limit: int | None = None
    targets: tuple[str, ...] | None = None

    def page(self, items: Sequence[T]) -> list[T]:
        end = None if self.limit is None else self.skip + self.limit
        return list(items[self.skip : end])


def _int(params: MultiMapping[str], name: str, low: int, high: int | None) -> int | None:
    text = params.get(name)
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError:
        raise bad_request(f"query parameter {name} must be an integer") from None
    if value < low or (high is not None and value > high):
        upper = f" and at most {high}" if high is not None else ""
        raise bad_request(f"query parameter {name} must be at least {low}{upper}")
    return value


def query(params: MultiMapping[str]) -> Query:
    """skip, limit (at most 50, as openadr3.yaml bounds it; none = everything) and targets (repeated)."""
    targets = params.getall("targets", None)
    for target in targets or ():
        if not 1 <= len(target) <= 128:
            raise bad_request("each target has 1 to 128 characters")
    return Query(
        skip=_int(params, "skip", 0, INT32_MAX) or 0,
        limit=_int(params, "limit", 0, MAX_LIMIT),
        targets=tuple(targets) if targets is not None else None,
    )


def object_id(params: MultiMapping[str], name: str) -> str | None:
    value = params.get(name)
    if value is not None and not OBJECT_ID.match(value):
        raise bad_request(f"query parameter {name} is not an objectID")
    return value


def name_param(params: MultiMapping[str], name: str) -> str | None:
    value = params.get(name)
    if value is not None and not 1 <= len(value) <= 128:
        raise bad_request(f"query parameter {name} has 1 to 128 characters")
    return value


def flag(params: MultiMapping[str], name: str) -> bool | None:
    value = params.get(name)
    if value is None:
        return None
    if value.lower() not in ("true", "false"):
        raise bad_request(f"query parameter {name} must be true or false")
    return value.lower() == "true"


def visible_targets(
    object_targets: Iterable[str] | None, granted: set[str], asked: tuple[str, ...] | None
) -> list[str] | None:
    """For a VEN reader: None if it may not see the object, else the targets it may see (maybe [])."""
    targets = list(object_targets or [])
    if not targets:
        return [] if not asked else None  # untargeted objects match no requested target
    usable = granted & set(asked) if asked is not None else granted
    shown = [t for t in targets if t in usable]
    return shown or None


def matches_asked(object_targets: Iterable[str] | None, asked: tuple[str, ...] | None) -> bool:
    """For a BL reader: the targets filter only."""
    return asked is None or bool(set(object_targets or []) & set(asked))
