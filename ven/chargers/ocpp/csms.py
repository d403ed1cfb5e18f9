"""The CSMS side of one station connection: one ChargePoint handler class per OCPP version.

Handlers only read the payload into the station's `StationState` (ven.chargers.ocpp.telemetry) and tell
the gateway what changed; the bodies are shared, the routing (`@on(Action.X)`) and the response types are
each version's own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from ocpp.v21 import ChargePoint as ChargePoint21
from ocpp.v21.enums import Action as Action21
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201.enums import Action as Action201

from ven.chargers.gateway import GatewayEventKind
from ven.chargers.ocpp import telemetry
from ven.chargers.ocpp.rpc import after, frame_logger, on, route_message
from ven.chargers.ocpp.telemetry import StationState
from ven.chargers.ocpp.wire import OcppVersion, version_enum

_FRAMES = frame_logger("ven.chargers.ocpp.frames")


class StationObserver(Protocol):
    """Where the handlers report to: the gateway."""

    def now(self) -> datetime: ...

    def station_changed(self, state: StationState, kinds: list[GatewayEventKind], detail: str) -> None: ...

    def station_booted(self, state: StationState) -> None: ...


class _Handlers:
    """What both versions do with each station message; subclasses add routing and response types."""

    version: OcppVersion
    state: StationState
    observer: StationObserver
    heartbeat_s: int

    @property
    def _result(self) -> Any:
        return self.version.call_result

    def _seen(self) -> None:
        self.state.last_seen_ts = self.observer.now().timestamp()

    def _boot(self) -> Any:
        self._seen()
        accepted = version_enum(self.version, "RegistrationStatusEnumType", "Accepted")
        return self._result.BootNotification(
            current_time=self.observer.now().isoformat(), interval=self.heartbeat_s, status=accepted
        )

    def _booted(self) -> None:
        self.observer.station_booted(self.state)

    def _heartbeat(self) -> Any:
        self._seen()
        return self._result.Heartbeat(current_time=self.observer.now().isoformat())

    def _status(self, connector_status: str, evse_id: int) -> Any:
        self._seen()
        self.state.evse_id = evse_id
        self._changed(telemetry.read_status(self.state, connector_status), f"connector {connector_status}")
        return self._result.StatusNotification()

    def _transaction(
        self,
        event_type: str,
        transaction_info: dict[str, Any],
        evse: dict[str, Any] | None,
        meter_value: list[dict[str, Any]] | None,
    ) -> Any:
        self._seen()
        kinds = telemetry.read_transaction(
            self.state, event_type, str(transaction_info["transaction_id"]), evse, meter_value
        )
        self._changed(kinds, f"transaction {event_type}")
        return self._result.TransactionEvent()

    def _meter_values(self, evse_id: int, meter_value: list[dict[str, Any]]) -> Any:
        self._seen()
        if evse_id == self.state.evse_id:
            telemetry.read_meter_values(self.state, meter_value)
        return self._result.MeterValues()

    def _charging_needs(self, charging_needs: dict[str, Any]) -> Any:
        self._seen()
        self.state.needs = telemetry.read_needs(charging_needs, self.state.needs)
        if self.state.needs.soc is not None:
            self.state.soc = self.state.needs.soc
        accepted = version_enum(self.version, "NotifyEVChargingNeedsStatusEnumType", "Accepted")
        return self._result.NotifyEVChargingNeeds(status=accepted)

    def _changed(self, kinds: list[GatewayEventKind], detail: str) -> None:
        self.observer.station_changed(self.state, kinds, detail)

    async def route_message(self, raw_msg: str | bytes) -> None:
        await route_message(self, self.version, raw_msg)


class CsmsChargePoint21(_Handlers, ChargePoint21):  # type: ignore[misc]  # ocpp ships no type hints
    """A station speaking OCPP 2.1 (V2X: signed setpoints)."""

    version = OcppVersion.V21

    def __init__(
        self,
        connection: Any,
        state: StationState,
        observer: StationObserver,
        *,
        heartbeat_s: int,
        response_timeout_s: float,
    ) -> None:
        super().__init__(state.charger_id, connection, response_timeout=response_timeout_s, logger=_FRAMES)
        self.state, self.observer, self.heartbeat_s = state, observer, heartbeat_s

    @on(Action21.boot_notification)
    def on_boot_notification(self, **_: Any) -> Any:
        return self._boot()

    @after(Action21.boot_notification)
    def after_boot_notification(self, **_: Any) -> None:
        self._booted()

    @on(Action21.heartbeat)
    def on_heartbeat(self, **_: Any) -> Any:
        return self._heartbeat()

    @on(Action21.status_notification)
    def on_status_notification(self, connector_status: str, evse_id: int, **_: Any) -> Any:
        return self._status(connector_status, evse_id)

    @on(Action21.transaction_event)
    def on_transaction_event(
        self,
        event_type: str,
        transaction_info: dict[str, Any],
        evse: dict[str, Any] | None = None,
        meter_value: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> Any:
        return self._transaction(event_type, transaction_info, evse, meter_value)

    @on(Action21.meter_values)
    def on_meter_values(self, evse_id: int, meter_value: list[dict[str, Any]], **_: Any) -> Any:
        return self._meter_values(evse_id, meter_value)

    @on(Action21.notify_ev_charging_needs)
    def on_notify_ev_charging_needs(self, charging_needs: dict[str, Any], **_: Any) -> Any:
        return self._charging_needs(charging_needs)


class CsmsChargePoint201(_Handlers, ChargePoint201):  # type: ignore[misc]  # ocpp ships no type hints
    """A station speaking OCPP 2.0.1: limits only, so V1G (no discharge)."""

    version = OcppVersion.V201

    def __init__(
        self,
        connection: Any,
        state: StationState,
        observer: StationObserver,
        *,
        heartbeat_s: int,
        response_timeout_s: float,
    ) -> None:
        super().__init__(state.charger_id, connection, response_timeout=response_timeout_s, logger=_FRAMES)
        self.state, self.observer, self.heartbeat_s = state, observer, heartbeat_s

    @on(Action201.boot_notification)
    def on_boot_notification(self, **_: Any) -> Any:
        return self._boot()

    @after(Action201.boot_notification)
    def after_boot_notification(self, **_: Any) -> None:
        self._booted()

    @on(Action201.heartbeat)
    def on_heartbeat(self, **_: Any) -> Any:
        return self._heartbeat()

    @on(Action201.status_notification)
    def on_status_notification(self, connector_status: str, evse_id: int, **_: Any) -> Any:
        return self._status(connector_status, evse_id)

    @on(Action201.transaction_event)
    def on_transaction_event(
        self,
        event_type: str,
        transaction_info: dict[str, Any],
        evse: dict[str, Any] | None = None,
        meter_value: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> Any:
        return self._transaction(event_type, transaction_info, evse, meter_value)

    @on(Action201.meter_values)
    def on_meter_values(self, evse_id: int, meter_value: list[dict[str, Any]], **_: Any) -> Any:
        return self._meter_values(evse_id, meter_value)

    @on(Action201.notify_ev_charging_needs)
    def on_notify_ev_charging_needs(self, charging_needs: dict[str, Any], **_: Any) -> Any:
        return self._charging_needs(charging_needs)


CHARGE_POINTS: dict[OcppVersion, Callable[..., _Handlers]] = {
    OcppVersion.V21: CsmsChargePoint21,
    OcppVersion.V201: CsmsChargePoint201,
}
