"""Progress on stderr for work that may take a while: silent when it is quick, a line a second in, then a
line every few seconds, and how long it took at the end (only if anything was said)."""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import Self, TextIO

FIRST_AFTER_S = 1.0
EVERY_S = 5.0


class SlowWork:
    """`with SlowWork("ven: planning 90 EVs x 12 intervals"): ...` prints progress only past a second."""

    def __init__(self, what: str, stream: TextIO | None = None, first_after_s: float = FIRST_AFTER_S) -> None:
        self._what = what
        self._stream = stream or sys.stderr
        self._first_after_s = first_after_s
        self._done = threading.Event()
        self._spoke = False
        self._began = 0.0
        self._thread = threading.Thread(target=self._watch, name="progress", daemon=True)

    def __enter__(self) -> Self:
        self._began = time.monotonic()
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._done.set()
        self._thread.join()
        if self._spoke and exc_type is None:
            self._say(f"{self._what}: done in {time.monotonic() - self._began:.1f} s")

    def _watch(self) -> None:
        wait = self._first_after_s
        while not self._done.wait(wait):
            self._say(f"{self._what} ... {time.monotonic() - self._began:.0f} s")
            wait = EVERY_S

    def _say(self, line: str) -> None:
        self._spoke = True
        print(line, file=self._stream, flush=True)
