"""The VEN's registration with its VTN: kept on the VEN's row of `vens`, replaced on re-registration."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ven.storage.db import from_db_time
from ven.storage.records import Registration

if TYPE_CHECKING:
    from ven.storage.db import Scope


class RegistrationRepository:
    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def save(self, registration: Registration) -> Registration:
        """Store (or replace) the registration; returns it with updated_at set."""
        now = self._scope.now_text()
        self._scope.backend.execute(
            """INSERT INTO vens (ven, ven_id, registration_id, vtn_id, poll_freq_s, registered_at)
               VALUES (:ven, :ven_id, :registration_id, :vtn_id, :poll_freq_s, :at)
               ON CONFLICT (ven) DO UPDATE SET ven_id = excluded.ven_id,
                 registration_id = excluded.registration_id, vtn_id = excluded.vtn_id,
                 poll_freq_s = excluded.poll_freq_s, registered_at = excluded.registered_at""",
            {
                "ven": self._scope.ven,
                "ven_id": registration.ven_id,
                "registration_id": registration.registration_id,
                "vtn_id": registration.vtn_id,
                "poll_freq_s": registration.poll_freq_s,
                "at": now,
            },
        )
        return replace(registration, updated_at=from_db_time(now))

    def load(self) -> Registration | None:
        rows = self._scope.backend.query(
            "SELECT * FROM vens WHERE ven = :ven AND ven_id IS NOT NULL", {"ven": self._scope.ven}
        )
        if not rows:
            return None
        row = rows[0]
        return Registration(
            ven_id=row["ven_id"],
            registration_id=row["registration_id"],
            vtn_id=row["vtn_id"],
            poll_freq_s=row["poll_freq_s"],
            updated_at=from_db_time(row["registered_at"]),
        )

    def clear(self) -> None:
        """Forget the registration (the VTN cancelled it, or the VEN re-registers from scratch)."""
        self._scope.backend.execute(
            """UPDATE vens SET ven_id = NULL, registration_id = NULL, vtn_id = NULL, poll_freq_s = NULL,
                 registered_at = NULL WHERE ven = :ven""",
            {"ven": self._scope.ven},
        )
