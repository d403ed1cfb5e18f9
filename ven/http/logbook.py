"""The VEN's recent warnings for the dashboard: a logging handler keeping the last few WARNING+ records.

Plans refused, setpoints rejected, the VTN link going down, an opt-out: the VEN already logs each of them
as a warning, so the dashboard shows what the log says instead of a second reporting path. Attached to the
`ven` and `policies` loggers while the VEN runs (records below their level never arrive here).
"""

from __future__ import annotations

import logging
from collections import deque
from typing import TYPE_CHECKING

from ven.http.models import WarningOut

if TYPE_CHECKING:
    from ven.clock import Clock

LOGGERS = ("ven", "policies")


class LogBook(logging.Handler):
    def __init__(self, clock: Clock, size: int = 50) -> None:
        super().__init__(logging.WARNING)
        self._clock = clock
        self._records: deque[WarningOut] = deque(maxlen=size)
        self.count = 0  # records seen so far: a change marker for the live view

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed log call must not break the VEN
            message = str(record.msg)
        self._records.append(
            WarningOut(
                at=self._clock.now(), level=record.levelname, source=record.name, message=message[:500]
            )
        )
        self.count += 1

    def recent(self) -> list[WarningOut]:
        """Newest first."""
        return list(reversed(self._records))

    def attach(self) -> None:
        for name in LOGGERS:
            logging.getLogger(name).addHandler(self)

    def detach(self) -> None:
        for name in LOGGERS:
            logging.getLogger(name).removeHandler(self)
