"""Sending one CSMS command to one station and classifying the answer (never suppressing CallErrors)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from ocpp.exceptions import OCPPError
from websockets.exceptions import ConnectionClosed

from ven.chargers.gateway import RejectReason
from ven.chargers.ocpp.wire import ProfileStatus


@dataclass
class Session:
    """One live station connection: its ChargePoint and the commands in flight on it."""

    charge_point: Any
    connection: Any
    in_flight: set[asyncio.Future[Any]] = field(default_factory=set)
    closed: bool = False

    def abort(self) -> None:
        """The connection is gone: commands waiting for an answer fail now, not at their timeout."""
        self.closed = True
        for future in tuple(self.in_flight):
            future.cancel()


@dataclass(frozen=True, slots=True)
class Outcome:
    """A command's fate: accepted (reason None), or refused with a reason (REJECTED or OFFLINE) and why."""

    reason: RejectReason | None = None
    detail: str = ""

    @property
    def accepted(self) -> bool:
        return self.reason is None


ACCEPTED = Outcome()
_GONE = Outcome(RejectReason.OFFLINE, "station disconnected")


async def send(session: Session, payload: Any, timeout_s: float, *, unknown_ok: bool = False) -> Outcome:
    """Call the station and wait at most `timeout_s`; `unknown_ok`: status Unknown counts as done."""
    if session.closed:
        return _GONE
    # Our own requests are schema-checked by the tests, not on every call: validating one 2.1
    # SetChargingProfile costs ~200 µs, most of a round trip. The answer is read for its status only.
    call = session.charge_point.call(payload, suppress=False, skip_schema_validation=True)
    task = asyncio.ensure_future(call)
    session.in_flight.add(task)
    task.add_done_callback(session.in_flight.discard)
    done, _ = await asyncio.wait((task,), timeout=timeout_s)
    if not done:
        task.cancel()
        return Outcome(RejectReason.OFFLINE, f"no answer within {timeout_s:g} s")
    if task.cancelled():
        return _GONE
    error = task.exception()
    if error is not None:
        return _failure(error, type(payload).__name__, timeout_s)
    status = str(getattr(task.result(), "status", ""))
    if status == ProfileStatus.ACCEPTED or (unknown_ok and status == ProfileStatus.UNKNOWN):
        return ACCEPTED
    return Outcome(RejectReason.REJECTED, f"{type(payload).__name__} answered {status}")


def _failure(error: BaseException, action: str, timeout_s: float) -> Outcome:
    if isinstance(error, ConnectionClosed):
        return _GONE
    if isinstance(error, TimeoutError):
        return Outcome(RejectReason.OFFLINE, f"no answer within {timeout_s:g} s")
    if isinstance(error, OCPPError):
        return Outcome(RejectReason.REJECTED, f"CallError {error.code}: {error.description}")
    if isinstance(error, TypeError):  # the answer's fields do not fit the response type
        return Outcome(RejectReason.REJECTED, f"malformed {action} answer")
    raise error
