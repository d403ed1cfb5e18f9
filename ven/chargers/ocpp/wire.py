"""The OCPP versions we speak and the wire values we read, shared by the CSMS and the station simulator.

The `ocpp` package names enum members differently per version (and its classes are untyped), so payloads
are read by wire value into these small enums once, at the edge; outgoing payloads use the version's own
enum classes looked up by value (`version_enum`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from ocpp.v21 import call as call21
from ocpp.v21 import call_result as result21
from ocpp.v21 import enums as enums21
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from ocpp.v201 import enums as enums201


class OcppVersion(StrEnum):
    """A protocol version, named by its websocket subprotocol."""

    V21 = "ocpp2.1"
    V201 = "ocpp2.0.1"

    @property
    def can_discharge(self) -> bool:
        """Only 2.1 has signed setpoints (V2X); a 2.0.1 profile limit is never negative."""
        return self is OcppVersion.V21

    # The version's modules of the `ocpp` package (untyped, hence Any).
    @property
    def call(self) -> Any:
        return call21 if self is OcppVersion.V21 else call201

    @property
    def call_result(self) -> Any:
        return result21 if self is OcppVersion.V21 else result201

    @property
    def enums(self) -> Any:
        return enums21 if self is OcppVersion.V21 else enums201


# Preference order when a station offers both.
SUBPROTOCOLS: tuple[OcppVersion, ...] = (OcppVersion.V21, OcppVersion.V201)


def version_enum(version: OcppVersion, type_name: str, value: str) -> Any:
    """The member of `version`'s enum `type_name` with wire value `value` (member names differ)."""
    return getattr(version.enums, type_name)(value)


class ConnectorStatus(StrEnum):
    AVAILABLE = "Available"
    OCCUPIED = "Occupied"
    RESERVED = "Reserved"
    UNAVAILABLE = "Unavailable"
    FAULTED = "Faulted"


class TransactionEventType(StrEnum):
    STARTED = "Started"
    UPDATED = "Updated"
    ENDED = "Ended"


class Measurand(StrEnum):
    POWER_IMPORT = "Power.Active.Import"
    POWER_EXPORT = "Power.Active.Export"
    SOC = "SoC"


class ProfileStatus(StrEnum):
    """SetChargingProfile / ClearChargingProfile answers."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    UNKNOWN = "Unknown"
