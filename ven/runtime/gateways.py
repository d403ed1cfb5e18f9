"""The charger gateway a VEN's `[chargers]` section asks for: the simulated fleet or the VEN as OCPP CSMS."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ven.chargers.simulated import SimulatedFleet
from ven.errors import InputError

if TYPE_CHECKING:
    from ven.chargers.gateway import ChargerGateway
    from ven.clock import Clock
    from ven.model.fleet import Fleet
    from ven.runtime.config import ChargersSection

logger = logging.getLogger(__name__)


def charger_gateway(chargers: ChargersSection, fleet: Fleet, wall: Clock) -> tuple[ChargerGateway, Clock]:
    """The chargers behind the seam, and the clock the VEN runs on (the simulation's when time is scaled)."""
    if chargers.backend == "ocpp":
        return _ocpp_gateway(chargers, fleet, wall), wall
    simulated = SimulatedFleet(
        fleet, wall, time_scale=chargers.time_scale, seed=chargers.seed, noise_kw=chargers.noise_kw
    )
    return simulated, simulated if chargers.time_scale != 1.0 else wall


def _ocpp_gateway(chargers: ChargersSection, fleet: Fleet, wall: Clock) -> ChargerGateway:
    """The VEN as CSMS of the fleet's charge points at `ocpp_listen` (basic auth and TLS when configured)."""
    from ven.chargers.ocpp import OcppGateway  # noqa: PLC0415 - the OCPP stack only when it is used

    ocpp_logger = logging.getLogger("ocpp")
    if ocpp_logger.level == logging.NOTSET:  # the package logs every frame at INFO; an explicit level wins
        ocpp_logger.setLevel(logging.WARNING)
    passwords = chargers.ocpp_basic_auth()
    if passwords is not None:
        missing = [ev.charger_id for ev in fleet.evs if ev.charger_id not in passwords]
        if missing:
            logger.warning(
                "%d enrolled chargers have no password and will be refused: %s",
                len(missing),
                ", ".join(missing[:5]),
            )
    host, _, port = chargers.ocpp_listen.rpartition(":")
    try:
        return OcppGateway(
            fleet,
            wall,
            host,
            int(port),
            basic_auth=passwords,
            ssl_context=chargers.ocpp_ssl_context(),
            call_timeout_s=chargers.ocpp_call_timeout.total_seconds(),
        )
    except ValueError as err:  # e.g. two EVs behind one charger_id
        raise InputError(f"fleet.file: {err}") from None
