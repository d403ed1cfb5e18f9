"""The VEN's registration with its VTN: one row, replaced on re-registration, cleared on cancel."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ven.storage.db import from_db_time
from ven.storage.records import Registration

if TYPE_CHECKING:
    from ven.storage.db import Database


class RegistrationRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def save(self, registration: Registration) -> Registration:
        """Store (or replace) the registration; returns it with updated_at set."""
        now = self._db.now_text()
        self._db.execute(
            """INSERT INTO registration (singleton, ven_id, registration_id, vtn_id, poll_freq_s, updated_at)
               VALUES (1, ?, ?, ?, ?, ?)
               ON CONFLICT (singleton) DO UPDATE SET ven_id = excluded.ven_id,
                 registration_id = excluded.registration_id, vtn_id = excluded.vtn_id,
                 poll_freq_s = excluded.poll_freq_s, updated_at = excluded.updated_at""",
            (
                registration.ven_id,
                registration.registration_id,
                registration.vtn_id,
                registration.poll_freq_s,
                now,
            ),
        )
        return replace(registration, updated_at=from_db_time(now))

    def load(self) -> Registration | None:
        rows = self._db.query("SELECT * FROM registration WHERE singleton = 1")
        if not rows:
            return None
        row = rows[0]
        return Registration(
            ven_id=row["ven_id"],
            registration_id=row["registration_id"],
            vtn_id=row["vtn_id"],
            poll_freq_s=row["poll_freq_s"],
            updated_at=from_db_time(row["updated_at"]),
        )

    def clear(self) -> None:
        """Forget the registration (the VTN cancelled it, or the VEN re-registers from scratch)."""
        self._db.execute("DELETE FROM registration")
