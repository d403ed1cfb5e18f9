"""The CSMS's commands: one-period TxProfiles in W starting now, and their removal.

OCPP 2.1 stations get `operationMode = CentralSetpoint` with a signed `setpoint` (negative = discharge)
bounded by `limit` and `dischargeLimit`; OCPP 2.0.1 has only non-negative limits, so a 2.0.1 station is
never sent anything below 0 W. Powers go out as float watts rounded to 0.1 W (the package would round
Decimals the same way).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ven.chargers.ocpp.wire import OcppVersion, version_enum

PROFILE_ID = 1  # one profile per station: each SetChargingProfile with this id replaces the last
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
) -> Any:
    """A SetChargingProfile request commanding `power_kw` now (clipped to ≥ 0 for 2.0.1)."""
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
    schedule = {
        "id": PROFILE_ID,
        "start_schedule": start.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "charging_rate_unit": version_enum(version, "ChargingRateUnitEnumType", "W"),
        "charging_schedule_period": [period],
    }
    profile = {
        "id": PROFILE_ID,
        "stack_level": STACK_LEVEL,
        "charging_profile_purpose": version_enum(version, "ChargingProfilePurposeEnumType", "TxProfile"),
        "charging_profile_kind": version_enum(version, "ChargingProfileKindEnumType", "Absolute"),
        "transaction_id": transaction_id,
        "charging_schedule": [schedule],
    }
    return version.call.SetChargingProfile(charging_profile=profile, evse_id=evse_id)


def clear_charging_profile(version: OcppVersion) -> Any:
    """A ClearChargingProfile request removing our profile: the station returns to its own charging."""
    return version.call.ClearChargingProfile(charging_profile_id=PROFILE_ID)
