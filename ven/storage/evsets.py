"""Ordered lists of EV ids, stored once per VEN and named by digest: setpoints and baselines refer to one.

Referring by digest (not by a generated id) keeps every write self-contained, so writes buffered during a
database outage need no answer from the database.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import TYPE_CHECKING

from ven.storage.codec import ev_set_digest

if TYPE_CHECKING:
    from ven.storage.db import Scope

_CACHED = 4  # a VEN plans one fleet; a few sets cover an OCPP fleet that changes while stations connect


class EvSets:
    def __init__(self, scope: Scope) -> None:
        self._scope = scope
        self._known: OrderedDict[str, tuple[str, ...]] = OrderedDict()

    def name(self, ev_ids: tuple[str, ...]) -> str:
        """The digest of `ev_ids`, stored (once) if this process has not stored it yet."""
        digest = ev_set_digest(ev_ids)
        if digest not in self._known:
            self._scope.backend.execute(
                """INSERT INTO ev_sets (ven, digest, ev_ids, created_at) VALUES (:ven, :digest, :ids, :at)
                   ON CONFLICT DO NOTHING""",
                {
                    "ven": self._scope.ven,
                    "digest": digest,
                    "ids": json.dumps(list(ev_ids)),
                    "at": self._scope.now_text(),
                },
            )
        self._remember(digest, ev_ids)
        return digest

    def ids(self, digest: str) -> tuple[str, ...]:
        known = self._known.get(digest)
        if known is None:
            rows = self._scope.backend.query(
                "SELECT ev_ids FROM ev_sets WHERE ven = :ven AND digest = :digest",
                {"ven": self._scope.ven, "digest": digest},
            )
            if not rows:
                raise LookupError(f"EV set {digest} is missing")
            known = tuple(json.loads(rows[0]["ev_ids"]))
        self._remember(digest, known)
        return known

    def prune(self) -> int:
        """Forget sets no decision or baseline refers to any more."""
        self._known.clear()  # a set pruned here must be stored again when it is next used
        return self._scope.backend.execute(
            """DELETE FROM ev_sets WHERE ven = :ven
                 AND digest NOT IN (SELECT ev_set FROM dispatch WHERE ven = :ven)
                 AND digest NOT IN (SELECT ev_set FROM event_baselines WHERE ven = :ven)""",
            {"ven": self._scope.ven},
        )

    def _remember(self, digest: str, ev_ids: tuple[str, ...]) -> None:
        self._known[digest] = ev_ids
        self._known.move_to_end(digest)
        while len(self._known) > _CACHED:
            self._known.popitem(last=False)
