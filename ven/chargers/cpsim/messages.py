"""What a simulated station sends the CSMS, per OCPP version (payload dataclasses of the `ocpp` package)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ven.chargers.cpsim.ev import EvSpec
from ven.chargers.ocpp.wire import Measurand, OcppVersion, version_enum

_W_PER_KW = 1000.0
_DC_VOLTAGE_V = 400


def timestamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def boot_notification(version: OcppVersion) -> Any:
    station = {"model": "cpsim", "vendor_name": "v2x-ven"}
    reason = version_enum(version, "BootReasonEnumType", "PowerUp")
    return version.call.BootNotification(charging_station=station, reason=reason)


def heartbeat(version: OcppVersion) -> Any:
    return version.call.Heartbeat()


def status_notification(version: OcppVersion, *, occupied: bool, at: datetime, evse_id: int = 1) -> Any:
    status = version_enum(version, "ConnectorStatusEnumType", "Occupied" if occupied else "Available")
    return version.call.StatusNotification(
        timestamp=timestamp(at), connector_status=status, evse_id=evse_id, connector_id=1
    )


def meter_value(version: OcppVersion, *, power_kw: float, soc: float, at: datetime) -> dict[str, Any]:
    """Net power split into import and export (2.0.1 stations only import) and SOC in %."""
    samples: list[dict[str, Any]] = [
        {"value": round(max(power_kw, 0.0) * _W_PER_KW, 1), "measurand": Measurand.POWER_IMPORT.value},
    ]
    if version.can_discharge:
        samples.append(
            {"value": round(max(-power_kw, 0.0) * _W_PER_KW, 1), "measurand": Measurand.POWER_EXPORT.value}
        )
    samples.append({"value": round(soc * 100.0, 2), "measurand": Measurand.SOC.value})
    return {"timestamp": timestamp(at), "sampled_value": samples}


def transaction_event(
    version: OcppVersion,
    *,
    event_type: str,
    trigger: str,
    seq_no: int,
    transaction_id: str,
    at: datetime,
    meter: dict[str, Any] | None,
    evse_id: int = 1,
) -> Any:
    return version.call.TransactionEvent(
        event_type=version_enum(version, "TransactionEventEnumType", event_type),
        timestamp=timestamp(at),
        trigger_reason=version_enum(version, "TriggerReasonEnumType", trigger),
        seq_no=seq_no,
        transaction_info={"transaction_id": transaction_id},
        evse={"id": evse_id, "connector_id": 1},
        meter_value=None if meter is None else [meter],
    )


def ev_charging_needs(version: OcppVersion, ev: EvSpec, *, soc: float, evse_id: int = 1) -> Any:
    """NotifyEVChargingNeeds: departure, SOC, capacity and limits; 2.1 adds the V2X parameters."""
    soc_percent = round(soc * 100)  # the EV reports whole percent; energy is reckoned from the same figure
    energy_wh = max(ev.departure_soc - soc_percent / 100, 0.0) * ev.capacity_kwh * _W_PER_KW
    dc: dict[str, Any] = {
        "ev_max_current": int(ev.max_charge_kw * _W_PER_KW / _DC_VOLTAGE_V),
        "ev_max_voltage": _DC_VOLTAGE_V,
        "ev_max_power": int(ev.max_charge_kw * _W_PER_KW),
        "ev_energy_capacity": int(ev.capacity_kwh * _W_PER_KW),
        "state_of_charge": soc_percent,
        "energy_amount": round(energy_wh),
    }
    needs: dict[str, Any] = {"requested_energy_transfer": "DC", "dc_charging_parameters": dc}
    if ev.departure is not None:
        needs["departure_time"] = timestamp(ev.departure)
    if version.can_discharge:
        needs["requested_energy_transfer"] = "DC_BPT" if ev.max_discharge_kw > 0 else "DC"
        needs["v2x_charging_parameters"] = {
            "max_charge_power": ev.max_charge_kw * _W_PER_KW,
            "max_discharge_power": ev.max_discharge_kw * _W_PER_KW,
            "target_soc": round(ev.departure_soc * 100),
            "ev_target_energy_request": energy_wh,
        }
    transfer = version_enum(version, "EnergyTransferModeEnumType", needs["requested_energy_transfer"])
    needs["requested_energy_transfer"] = transfer
    return version.call.NotifyEVChargingNeeds(charging_needs=needs, evse_id=evse_id)
