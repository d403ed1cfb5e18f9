"""Progress lines on stderr while the demo runs (stdout stays clean for the table or the JSON)."""

from __future__ import annotations

import sys
from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO | None = None, *, enabled: bool = True) -> None:
        self._stream = stream or sys.stderr
        self._enabled = enabled

    def __call__(self, message: str) -> None:
        if self._enabled:
            print(f"[demo] {message}", file=self._stream, flush=True)

    def status(
        self,
        program_time: str,
        interval: str,
        requested_kw: float | None,
        delivered_kw: float | None,
        soc_by_type: dict[str, float],
    ) -> None:
        """One line: where the event is, asked vs delivered (the VEN's view) and SOC by site type."""
        asked = "   —    " if requested_kw is None else f"{requested_kw:8,.0f}"
        given = "   —    " if delivered_kw is None else f"{delivered_kw:8,.0f}"
        socs = "  ".join(f"{name} {soc:4.0%}" for name, soc in soc_by_type.items())
        self(f"{program_time}  {interval:<11} requested {asked} kW  delivered {given} kW  SOC: {socs}")
