"""Real chargers over OCPP 2.1 / 2.0.1 behind the ChargerGateway seam: the VEN acts as their CSMS."""

from ven.chargers.ocpp.backend import OcppGateway
from ven.chargers.ocpp.telemetry import EvNeeds, StationState
from ven.chargers.ocpp.wire import SUBPROTOCOLS, OcppVersion

__all__ = ["SUBPROTOCOLS", "EvNeeds", "OcppGateway", "OcppVersion", "StationState"]
