"""The station side of the simulator: one ChargePoint class per OCPP version answering the CSMS.

The CSMS sends SetChargingProfile and ClearChargingProfile; both versions handle both. Any other call
gets a CallError from ven.chargers.ocpp.rpc (the released `ocpp` 2.1.0 would send no reply at all).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import StrEnum
from typing import Any, Protocol

from ocpp.messages import MessageType
from ocpp.v21 import ChargePoint as ChargePoint21
from ocpp.v21.enums import Action as Action21
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201.enums import Action as Action201

from ven.chargers.ocpp.rpc import frame_logger, on, route_message
from ven.chargers.ocpp.wire import OcppVersion, version_enum

_FRAMES = frame_logger("ven.chargers.cpsim.frames")


class Behaviour(StrEnum):
    """How a simulated station treats the CSMS's commands (tests switch it at will)."""

    NORMAL = "normal"
    REJECT = "reject"  # answers every profile with Rejected
    SILENT = "silent"  # never answers a CSMS call (the CSMS times out)
    HANG_UP = "hang_up"  # closes the connection when a CSMS call arrives


class StationModel(Protocol):
    """What the handlers drive: the simulated station."""

    behaviour: Behaviour

    def profile_received(self, charging_profile: dict[str, Any]) -> bool: ...

    def profile_cleared(self, profile_id: int | None = None, purpose: str | None = None) -> bool: ...

    async def hang_up(self) -> None: ...


def _is_call(raw: str | bytes) -> bool:
    try:
        frame = json.loads(raw)
    except ValueError:
        return False
    return isinstance(frame, list) and bool(frame) and frame[0] == MessageType.Call


class _Handlers:
    version: OcppVersion
    station: StationModel

    def _set(self, charging_profile: dict[str, Any]) -> Any:
        accepted = self.station.behaviour is not Behaviour.REJECT and self.station.profile_received(
            charging_profile
        )
        answer = "Accepted" if accepted else "Rejected"
        status = version_enum(self.version, "ChargingProfileStatusEnumType", answer)
        return self.version.call_result.SetChargingProfile(status=status)

    def _clear(self, profile_id: int | None, criteria: dict[str, Any] | None) -> Any:
        purpose = None if criteria is None else criteria.get("charging_profile_purpose")
        found = self.station.profile_cleared(profile_id, None if purpose is None else str(purpose))
        answer = "Accepted" if found else "Unknown"
        status = version_enum(self.version, "ClearChargingProfileStatusEnumType", answer)
        return self.version.call_result.ClearChargingProfile(status=status)

    async def route_message(self, raw_msg: str | bytes) -> None:
        behaviour = self.station.behaviour
        if behaviour in (Behaviour.SILENT, Behaviour.HANG_UP) and _is_call(raw_msg):
            if behaviour is Behaviour.HANG_UP:
                await self.station.hang_up()
            return
        await route_message(self, self.version, raw_msg)


class StationChargePoint21(_Handlers, ChargePoint21):  # type: ignore[misc]  # ocpp ships no type hints
    version = OcppVersion.V21

    def __init__(
        self, charger_id: str, connection: Any, station: StationModel, *, response_timeout_s: float
    ) -> None:
        super().__init__(charger_id, connection, response_timeout=response_timeout_s, logger=_FRAMES)
        self.station = station

    @on(Action21.set_charging_profile)
    def on_set_charging_profile(self, charging_profile: dict[str, Any], **_: Any) -> Any:
        return self._set(charging_profile)

    @on(Action21.clear_charging_profile)
    def on_clear_charging_profile(
        self,
        charging_profile_id: int | None = None,
        charging_profile_criteria: dict[str, Any] | None = None,
        **_: Any,
    ) -> Any:
        return self._clear(charging_profile_id, charging_profile_criteria)


class StationChargePoint201(_Handlers, ChargePoint201):  # type: ignore[misc]  # ocpp ships no type hints
    version = OcppVersion.V201

    def __init__(
        self, charger_id: str, connection: Any, station: StationModel, *, response_timeout_s: float
    ) -> None:
        super().__init__(charger_id, connection, response_timeout=response_timeout_s, logger=_FRAMES)
        self.station = station

    @on(Action201.set_charging_profile)
    def on_set_charging_profile(self, charging_profile: dict[str, Any], **_: Any) -> Any:
        return self._set(charging_profile)

    @on(Action201.clear_charging_profile)
    def on_clear_charging_profile(
        self,
        charging_profile_id: int | None = None,
        charging_profile_criteria: dict[str, Any] | None = None,
        **_: Any,
    ) -> Any:
        return self._clear(charging_profile_id, charging_profile_criteria)


STATION_CHARGE_POINTS: dict[OcppVersion, Callable[..., _Handlers]] = {
    OcppVersion.V21: StationChargePoint21,
    OcppVersion.V201: StationChargePoint201,
}
