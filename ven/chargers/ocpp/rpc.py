"""OCPP-J framing that never lets a malformed frame go unanswered or take a connection down.

The `ocpp` package (2.1.0) logs and drops frames it cannot unpack (no CallError reaches the sender), sends
nothing at all for an action without a handler under 2.1, and lets a non-string action escape as a
TypeError out of its receive loop. Both our CSMS and our simulated stations route every frame through
`route_message` here instead.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast

from ocpp.exceptions import (
    NotImplementedError as OcppNotImplementedError,
)
from ocpp.exceptions import (
    NotSupportedError,
    OCPPError,
    ProtocolError,
)
from ocpp.messages import Call, CallError, MessageType, unpack
from ocpp.routing import after as ocpp_after
from ocpp.routing import on as ocpp_on

from ven.chargers.ocpp.wire import OcppVersion

logger = logging.getLogger(__name__)

_UNREADABLE_ID = "-1"  # OCPP-J: the message id to answer with when the frame's own id cannot be read


class RpcFrameworkError(OCPPError):  # type: ignore[misc]  # ocpp ships no type hints
    code = "RpcFrameworkError"
    default_description = "Content of the call is not a valid RPC request"


class MessageTypeNotSupportedError(OCPPError):  # type: ignore[misc]  # ocpp ships no type hints
    code = "MessageTypeNotSupported"
    default_description = "A message with a Message Type Id that is not supported"


def _frame(raw: str | bytes) -> list[Any] | None:
    try:
        frame = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return frame if isinstance(frame, list) else None


def _message_id(frame: list[Any] | None) -> str:
    if frame is not None and len(frame) > 1 and isinstance(frame[1], str):
        return frame[1]
    return _UNREADABLE_ID


def _unpack_error(frame: list[Any] | None, error: OCPPError) -> OCPPError | None:
    """The CallError to answer an unparseable frame with; None for a broken reply (replies get no reply)."""
    if frame is None:
        return error  # not JSON (FormatViolation) or not an array (ProtocolError)
    if not frame:
        return RpcFrameworkError(details={"cause": "empty frame"})
    kind = frame[0]
    if kind in (MessageType.CallResult, MessageType.CallError):
        return None
    if kind != MessageType.Call:
        return MessageTypeNotSupportedError(details={"cause": f"message type id {kind!r} is not 2, 3 or 4"})
    return RpcFrameworkError(details={"cause": error.description})


def _missing_handler(action: str, version: OcppVersion) -> OCPPError:
    try:
        version.enums.Action(action)
    except ValueError:
        return NotSupportedError(details={"cause": f"{action} is not an OCPP {version.value} action"})
    return OcppNotImplementedError(details={"cause": f"no handler for {action}"})


async def route_message(charge_point: Any, version: OcppVersion, raw: str | bytes) -> None:
    """Route one received frame on an `ocpp` ChargePoint; every bad Call gets a CallError back."""
    try:
        message = unpack(raw)
    except OCPPError as error:
        frame = _frame(raw)
        answer = _unpack_error(frame, error)
        logger.warning("%s: unparseable OCPP frame (%s)", charge_point.id, error.code)
        if answer is not None:
            await _send_error(charge_point, _message_id(frame), answer)
        return
    if message.message_type_id != MessageType.Call:
        charge_point._response_queue.put_nowait(message)  # noqa: SLF001 - the package's own reply channel
        return
    await _handle_call(charge_point, version, message)


async def _handle_call(charge_point: Any, version: OcppVersion, message: Call) -> None:
    unique_id = message.unique_id if isinstance(message.unique_id, str) else _UNREADABLE_ID
    if not isinstance(message.unique_id, str) or not isinstance(message.action, str):
        error = ProtocolError(details={"cause": "message id and action must be strings"})
        await _send_error(charge_point, unique_id, error)
        return
    if message.action not in charge_point.route_map:
        await _send_error(charge_point, unique_id, _missing_handler(message.action, version))
        return
    try:
        await charge_point._handle_call(message)  # noqa: SLF001 - validation + handler dispatch of the package
    except OCPPError as error:
        logger.warning("%s: %s refused: %s", charge_point.id, message.action, error.code)
        await _send_error(charge_point, unique_id, error)


async def _send_error(charge_point: Any, unique_id: str, error: OCPPError) -> None:
    details = {"cause": str(error.details.get("cause", ""))[:200]} if error.details else {}
    frame = CallError(unique_id, error.code, error.description, details).to_json()
    await charge_point._send(frame)  # noqa: SLF001


_Handler = TypeVar("_Handler", bound=Callable[..., Any])


def on(action: str) -> Callable[[_Handler], _Handler]:
    """`ocpp.routing.on`, typed: route the `action` Call to the decorated ChargePoint method."""
    return cast("Callable[[_Handler], _Handler]", ocpp_on(action))


def after(action: str) -> Callable[[_Handler], _Handler]:
    """`ocpp.routing.after`, typed: run the decorated method once the `action` Call has been answered."""
    return cast("Callable[[_Handler], _Handler]", ocpp_after(action))


class _FrameLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """The `ocpp` package logs every frame at INFO; ours go to DEBUG, warnings and errors stay as they are."""

    def info(self, msg: object, *args: object, **kwargs: Any) -> None:
        self.debug(msg, *args, **kwargs)


def frame_logger(name: str) -> logging.LoggerAdapter:  # type: ignore[type-arg]
    """The logger to hand an `ocpp` ChargePoint (its `logger=` argument) instead of the package's own."""
    return _FrameLogger(logging.getLogger(name), {})
