"""The season's chargers: a simulated fleet living the fleet's life, behind the ordinary gateway seam.

The VEN sees a ChargerGateway like any other. It also knows its fleet (KnowsFleet), the way an OCPP 2.1
backend does: each EV announces its next departure when it plugs in (ISO 15118 / NotifyEVChargingNeeds
`departureTime`), and the VEN plans with that, not with the enrollment's routine. The owner may still
leave earlier than announced; the simulator knows the real time, the VEN does not.

Every command the VEN gives passes the energy ledger first (setpoints beyond an EV's limits count as
hard-constraint violations, whatever the charger then makes of them).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from ven.chargers.gateway import GatewayEvent, GatewayEventKind
from ven.chargers.simulated import SimulatedFleet
from ven.model.fleet import Fleet

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from ven.chargers.gateway import ApplyResult, EventCallback, FleetReading
    from ven.clock import Clock
    from ven.season.ledger import EnergyLedger
    from ven.season.life import FleetLife


class SeasonFleet:
    """ChargerGateway and KnowsFleet over a SimulatedFleet that follows `life`; see the module docstring."""

    def __init__(
        self,
        enrolled: Fleet,
        life: FleetLife,
        ledger: EnergyLedger,
        clock: Clock,
        *,
        step: timedelta,
        tick: timedelta,
    ) -> None:
        self.life = life
        self.ledger = ledger
        self._positions = {ev.ev_id: i for i, ev in enumerate(enrolled.evs)}
        announced = life.first_announced()
        self._known = Fleet(
            tuple(
                replace(ev, routine=None, departure=_when(ts))
                for ev, ts in zip(enrolled.evs, announced, strict=True)
            )
        )
        self._announced: dict[int, datetime | None] = {}  # since `_known` was last brought up to date
        self.sim = SimulatedFleet(
            life.initial_fleet(enrolled),
            clock,
            schedule=life.arrivals(),
            follow_routines=False,
            step_s=step.total_seconds(),
            tick_s=tick.total_seconds(),
            observer=ledger,
        )
        # Subscribed first: an arrival's announced departure is known before the runtime reacts to it.
        self.sim.subscribe(self._noticed)

    async def start(self) -> None:
        await self.sim.start()

    async def close(self) -> None:
        await self.sim.close()

    async def apply(self, setpoints: Mapping[str, float], *, valid_until: datetime) -> ApplyResult:
        for ev_id, power_kw in setpoints.items():
            i = self._positions.get(ev_id)
            if i is not None:
                self.ledger.commanded(i, power_kw)
        return await self.sim.apply(setpoints, valid_until=valid_until)

    async def release(self, ev_ids: Iterable[str] | None = None) -> ApplyResult:
        return await self.sim.release(ev_ids)

    async def read(self) -> FleetReading:
        return await self.sim.read()

    def subscribe(self, callback: EventCallback) -> Callable[[], None]:
        return self.sim.subscribe(callback)

    def fleet(self) -> Fleet:
        """The enrolled fleet with each EV's departure as it announced it at its last plug-in."""
        if self._announced:
            self._known = self._known.with_departures(self._announced)
            self._announced = {}
        return self._known

    def _noticed(self, event: GatewayEvent) -> None:
        if event.kind is not GatewayEventKind.PLUGGED_IN:
            return
        departure_ts = self.life.announced.get((event.ev_id, event.timestamp.timestamp()))
        self._announced[self._positions[event.ev_id]] = _when(departure_ts)


def _when(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)
