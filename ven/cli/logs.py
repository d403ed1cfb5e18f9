"""Log output for the long-running commands (`ven run`, `vtn-mock serve`): a human line or one JSON object
a line (`--log-format json`) with the fields a log pipeline filters on.

Code logs with `extra={"event_id": ..., "interval": ...}` where a line is about an event; the JSON form
carries those fields, the tool's name and, for `ven run`, the VEN's name on every line.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Literal

FORMATS = ("text", "json")
LogFormat = Literal["text", "json"]
TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
STRUCTURED = ("event_id", "interval", "ven_id")  # extra fields a record may carry


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, message, plus context fields."""

    def __init__(self, **context: str) -> None:
        super().__init__()
        self._context = context

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **self._context,
        }
        for name in STRUCTURED:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler on sys.stderr as it is when a record is emitted, not as it was when the handler was
    made: a command run in-process (tests, `ven season`'s workers) may have its stderr replaced and closed."""

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        """StreamHandler's constructor sets the stream; this handler always takes the current one."""


def configure(level: str, fmt: LogFormat, **context: str) -> None:
    """Root logging for a command: `level` and `fmt`; `context` (e.g. ven="district-north") on JSON lines."""
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter(**context) if fmt == "json" else logging.Formatter(TEXT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
