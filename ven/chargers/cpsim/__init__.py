"""A charge point simulator on the `ocpp` package: stations (OCPP 2.1 or 2.0.1) with EVs that follow
their charging profiles, for tests, benchmarks and demos of the OCPP backend."""

from ven.chargers.cpsim.ev import EvSpec, Limit, Setpoint, StationEV
from ven.chargers.cpsim.handlers import Behaviour
from ven.chargers.cpsim.station import MeterRecord, SimStation
from ven.chargers.cpsim.swarm import close_all, ev_spec, start_all, stations_for, version_for

__all__ = [
    "Behaviour",
    "EvSpec",
    "Limit",
    "MeterRecord",
    "Setpoint",
    "SimStation",
    "StationEV",
    "close_all",
    "ev_spec",
    "start_all",
    "stations_for",
    "version_for",
]
