"""What a station has told the CSMS, kept as typed state: plug, transaction, meter values, EV needs.

Payloads arrive as the `ocpp` package's snake_case dicts; they are read here once into `StationState` and
`EvNeeds`. Powers on the wire are W (positive import), SOC a percentage; inside they are kW and 0-1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ven.chargers.gateway import GatewayEventKind
from ven.chargers.ocpp.wire import ConnectorStatus, Measurand, OcppVersion, TransactionEventType
from ven.errors import InputError
from ven.timeparse import parse_iso_datetime

_W_PER_KW = 1000.0
_UNIT_MULTIPLIER_W = {"W": 1.0, "kW": 1000.0}


@dataclass(frozen=True, slots=True)
class EvNeeds:
    """What a station reported about its EV (NotifyEVChargingNeeds); None = not reported."""

    departure: datetime | None = None
    departure_soc: float | None = None
    soc: float | None = None
    capacity_kwh: float | None = None
    max_charge_kw: float | None = None
    max_discharge_kw: float | None = None


@dataclass
class StationState:
    """One charging station as the CSMS knows it; the gateway turns these into FleetReadings."""

    charger_id: str
    version: OcppVersion | None = None
    online: bool = False
    last_seen_ts: float = math.nan
    connector: ConnectorStatus | None = None
    transaction_id: str | None = None
    evse_id: int = 1
    power_kw: float = 0.0
    soc: float = math.nan
    meter_ts: float = math.nan
    setpoint_kw: float | None = None
    setpoint_until_ts: float = math.inf  # when the station drops the setpoint by itself (its validTo)
    fault: str | None = None  # why commands to this station failed; cleared by the next success
    needs: EvNeeds = field(default_factory=EvNeeds)

    @property
    def plugged_in(self) -> bool:
        return self.transaction_id is not None and self.connector is not ConnectorStatus.FAULTED


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def read_meter_values(state: StationState, meter_values: list[dict[str, Any]]) -> None:
    """Take net power (import − export) and SOC from the latest sampled values."""
    for meter_value in meter_values:
        import_w = export_w = None
        for sample in meter_value.get("sampled_value", []):
            value = _number(sample.get("value"))
            unit = sample.get("unit_of_measure") or {}
            multiplier = 10.0 ** int(unit.get("multiplier", 0))
            scale = _UNIT_MULTIPLIER_W.get(unit.get("unit", "W"), 1.0) * multiplier
            measurand = sample.get("measurand", Measurand.POWER_IMPORT.value)
            if value is None or sample.get("phase"):
                continue  # per-phase values duplicate the total
            if measurand == Measurand.POWER_IMPORT:
                import_w = value * scale
            elif measurand == Measurand.POWER_EXPORT:
                export_w = value * scale
            elif measurand == Measurand.SOC:
                state.soc = min(max(value / 100.0, 0.0), 1.0)
        if import_w is not None or export_w is not None:
            state.power_kw = ((import_w or 0.0) - (export_w or 0.0)) / _W_PER_KW
            state.meter_ts = _timestamp(meter_value.get("timestamp"), state.meter_ts)


def _timestamp(text: Any, default: float) -> float:
    try:
        return parse_iso_datetime(str(text)).timestamp()
    except InputError:
        return default


def read_status(state: StationState, connector_status: str) -> list[GatewayEventKind]:
    """A StatusNotification: Faulted is a fault; Occupied/Available only hint at plug state."""
    try:
        status = ConnectorStatus(connector_status)
    except ValueError:
        return []
    was_faulted = state.connector is ConnectorStatus.FAULTED
    state.connector = status
    if status is ConnectorStatus.FAULTED and not was_faulted:
        return [GatewayEventKind.FAULT]
    if was_faulted and status is not ConnectorStatus.FAULTED:
        return [GatewayEventKind.FAULT_CLEARED]
    return []


def read_transaction(
    state: StationState,
    event_type: str,
    transaction_id: str,
    evse: dict[str, Any] | None,
    meter_values: list[dict[str, Any]] | None,
) -> list[GatewayEventKind]:
    """A TransactionEvent: Started/Updated = plugged in (session running), Ended = plugged out."""
    events: list[GatewayEventKind] = []
    if evse is not None and isinstance(evse.get("id"), int):
        state.evse_id = evse["id"]
    was_plugged = state.plugged_in
    if event_type == TransactionEventType.ENDED:
        if state.transaction_id == transaction_id:
            state.transaction_id = None
            state.setpoint_kw = None  # a profile of type TxProfile ends with its transaction
    else:
        state.transaction_id = transaction_id
    if meter_values:
        read_meter_values(state, meter_values)
    if not state.plugged_in:
        state.power_kw = 0.0
    if state.plugged_in != was_plugged:
        events.append(GatewayEventKind.PLUGGED_IN if state.plugged_in else GatewayEventKind.PLUGGED_OUT)
    return events


def read_needs(charging_needs: dict[str, Any], previous: EvNeeds) -> EvNeeds:
    """NotifyEVChargingNeeds: departure, SOC, capacity, charge/discharge limits, energy to departure."""
    departure = previous.departure
    if charging_needs.get("departure_time"):
        try:
            departure = parse_iso_datetime(str(charging_needs["departure_time"]))
        except InputError:
            departure = previous.departure
    dc = charging_needs.get("dc_charging_parameters") or {}
    ac = charging_needs.get("ac_charging_parameters") or {}
    v2x = charging_needs.get("v2x_charging_parameters") or {}
    soc = _percent(dc.get("state_of_charge"), previous.soc)
    capacity_kwh = _kilo(dc.get("ev_energy_capacity"), previous.capacity_kwh)
    max_charge_kw = _kilo(v2x.get("max_charge_power", dc.get("ev_max_power")), previous.max_charge_kw)
    max_discharge_kw = _kilo(v2x.get("max_discharge_power"), previous.max_discharge_kw)
    departure_soc = _percent(v2x.get("target_soc"), previous.departure_soc)
    energy_wh = _number(v2x.get("ev_target_energy_request", dc.get("energy_amount", ac.get("energy_amount"))))
    if v2x.get("target_soc") is None and energy_wh is not None and soc is not None and capacity_kwh:
        # Energy still to be charged by departure, as a SOC to reach.
        departure_soc = min(1.0, soc + energy_wh / _W_PER_KW / capacity_kwh)
    return EvNeeds(
        departure=departure,
        departure_soc=departure_soc,
        soc=soc,
        capacity_kwh=capacity_kwh,
        max_charge_kw=max_charge_kw,
        max_discharge_kw=None if max_discharge_kw is None else abs(max_discharge_kw),
    )


def _percent(value: Any, default: float | None) -> float | None:
    number = _number(value)
    return default if number is None else min(max(number / 100.0, 0.0), 1.0)


def _kilo(value: Any, default: float | None) -> float | None:
    number = _number(value)
    return default if number is None or number < 0 else number / _W_PER_KW
