"""The CSMS's commands: one-period TxProfiles in W from now until they expire, their removal, and the
TxDefaultProfile every station falls back to.

OCPP 2.1 stations get `operationMode = CentralSetpoint` with a signed `setpoint` (negative = discharge)
bounded by `limit` and `dischargeLimit`; OCPP 2.0.1 has only non-negative limits, so a 2.0.1 station is
never sent anything below 0 W. Powers go out as float watts rounded to 0.1 W (the package would round
Decimals the same way).

Every TxProfile ends: `validTo` and the schedule's `duration` say when, and on 2.1 `maxOfflineDuration`
drops it sooner if the station loses its CSMS (for good: `invalidAfterOfflineDuration`). The station then
falls back to the TxDefaultProfile: the EV's full charge rate, i.e. its baseline behaviour.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from ven.chargers.ocpp.wire import OcppVersion, version_enum

PROFILE_ID = 1  # one profile per station: each SetChargingProfile with this id replaces the last
DEFAULT_PROFILE_ID = 2  # the TxDefaultProfile: baseline behaviour, in force whenever no TxProfile is
STACK_LEVEL = 0
_W_PER_KW = 1000.0


def _watts(power_kw: float) -> float:
    return round(power_kw * _W_PER_KW, 1) + 0.0  # + 0.0 turns -0.0 into 0.0


def set_charging_profile(
    version: OcppVersion,
    *,
    power_kw: float,
    max_charge_kw: float,
    max_discharge_kw: float,
    transaction_id: str,
    evse_id: int,
    start: datetime,
    valid_until: datetime,
) -> Any:
    """A SetChargingProfile request: `power_kw` from `start` until `valid_until` (≥ 0 W on 2.0.1)."""
    if version.can_discharge:
        period: dict[str, Any] = {
            "start_period": 0,
            "limit": _watts(max(max_charge_kw, 0.0)),
            "discharge_limit": -_watts(max(max_discharge_kw, 0.0)),
            "setpoint": _watts(power_kw),
            "operation_mode": version_enum(version, "OperationModeEnumType", "CentralSetpoint"),
        }
    else:
        period = {"start_period": 0, "limit": _watts(max(power_kw, 0.0))}
    # Whole seconds on the wire, rounded down: the schedule never outlasts validTo.
    lasts_s = max(math.floor((valid_until - start).total_seconds()), 1)
    schedule = {
        "id": PROFILE_ID,
        "start_schedule": _timestamp(start),
        "duration": lasts_s,
        "charging_rate_unit": version_enum(version, "ChargingRateUnitEnumType", "W"),
        "charging_schedule_period": [period],
    }
    profile: dict[str, Any] = {
        "id": PROFILE_ID,
        "stack_level": STACK_LEVEL,
        "charging_profile_purpose": version_enum(version, "ChargingProfilePurposeEnumType", "TxProfile"),
        "charging_profile_kind": version_enum(version, "ChargingProfileKindEnumType", "Absolute"),
        "valid_to": _timestamp(valid_until),
        "transaction_id": transaction_id,
        "charging_schedule": [schedule],
    }
    if version.can_discharge:
        profile["max_offline_duration"] = lasts_s
        profile["invalid_after_offline_duration"] = True
    return version.call.SetChargingProfile(charging_profile=profile, evse_id=evse_id)


def default_profile(version: OcppVersion, *, max_charge_kw: float) -> Any:
    """A SetChargingProfile request installing the TxDefaultProfile on every EVSE: charge at full rate.

    That is the contract's baseline behaviour (unmanaged charging; the EV itself stops at its target),
    and what the station returns to whenever no TxProfile of ours is in force.
    """
    period: dict[str, Any] = {"start_period": 0, "limit": _watts(max(max_charge_kw, 0.0))}
    if version.can_discharge:
        period["operation_mode"] = version_enum(version, "OperationModeEnumType", "ChargingOnly")
    schedule = {
        "id": DEFAULT_PROFILE_ID,
        "charging_rate_unit": version_enum(version, "ChargingRateUnitEnumType", "W"),
        "charging_schedule_period": [period],
    }
    profile = {
        "id": DEFAULT_PROFILE_ID,
        "stack_level": STACK_LEVEL,
        "charging_profile_purpose": version_enum(
            version, "ChargingProfilePurposeEnumType", "TxDefaultProfile"
        ),
        "charging_profile_kind": version_enum(version, "ChargingProfileKindEnumType", "Relative"),
        "charging_schedule": [schedule],
    }
    return version.call.SetChargingProfile(charging_profile=profile, evse_id=0)


def _timestamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def clear_charging_profile(version: OcppVersion) -> Any:
    """A ClearChargingProfile request removing our profile: the station returns to its own charging."""
    return version.call.ClearChargingProfile(charging_profile_id=PROFILE_ID)
