"""Charger control: the ChargerGateway seam and its implementations (simulated fleet; OCPP later)."""

from ven.chargers.gateway import (
    ApplyResult,
    ChargerGateway,
    EventCallback,
    EVReading,
    FleetReading,
    GatewayEvent,
    GatewayEventKind,
    Rejection,
    RejectReason,
)
from ven.chargers.schedule import PlugEvent
from ven.chargers.simulated import Fault, SimulatedFleet

__all__ = [
    "ApplyResult",
    "ChargerGateway",
    "EVReading",
    "EventCallback",
    "Fault",
    "FleetReading",
    "GatewayEvent",
    "GatewayEventKind",
    "PlugEvent",
    "RejectReason",
    "Rejection",
    "SimulatedFleet",
]
