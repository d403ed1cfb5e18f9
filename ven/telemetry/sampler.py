"""Telemetry: every `reports.sampling`, read the gateway, store fleet (and per-EV) samples, keep the latest.

Baseline: during an event, the contract baseline of the fleet over the current interval (the dispatch
controller's latest plan, ven.model.baseline on the measured state); outside events the fleet charges
unmanaged, so its baseline is what it draws. Every sample is stored unreported; the uploader sends it
(TELEMETRY_USAGE is store and forward) and marks it reported once the VTN acknowledged the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ven.chargers.gateway import KnowsFleet
from ven.storage import FLEET_RESOURCE, TelemetrySample

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from ven.chargers.gateway import ChargerGateway, FleetReading
    from ven.model.fleet import Fleet
    from ven.storage import Store


@dataclass(frozen=True)
class FleetSample:
    """The fleet's figures at one instant (kW, kWh); what the live reports and /status show."""

    ts: datetime
    usage_kw: float
    baseline_kw: float
    online: bool
    available_reduction_kw: float
    stored_energy_kwh: float
    reading: FleetReading | None = field(default=None, repr=False)

    @property
    def delta_kw(self) -> float:
        """deltaUsage: reduction versus the baseline (positive = less load)."""
        return self.baseline_kw - self.usage_kw


class TelemetrySampler:
    def __init__(
        self,
        gateway: ChargerGateway,
        fleet: Fleet,
        store: Store,
        *,
        baseline_kw: Callable[[], float | None],
        per_ev: bool = False,
    ) -> None:
        self._gateway = gateway
        self._fleet = fleet
        self._store = store
        self._baseline_kw = baseline_kw
        self._per_ev = per_ev
        self.latest: FleetSample | None = None

    async def sample(self, now: datetime) -> FleetSample:
        reading = await self._gateway.read()
        sample = self._figures(reading, now)
        reported = False  # the uploader sends it and marks it once the VTN acknowledged
        rows = [
            TelemetrySample(
                now, FLEET_RESOURCE, sample.usage_kw, sample.baseline_kw, sample.delta_kw, reported=reported
            )
        ]
        if self._per_ev:
            rows += [
                TelemetrySample(
                    now, ev_id, float(p), soc=None if np.isnan(s) else float(s), reported=reported
                )
                for ev_id, p, s in zip(reading.ev_ids, reading.power_kw, reading.soc, strict=True)
            ]
        self._store.telemetry.add(rows)
        self.latest = sample
        return sample

    def _figures(self, reading: FleetReading, now: datetime) -> FleetSample:
        # What the chargers report (OCPP: V1G-only stations, real limits) beats the enrollment file.
        fleet = self._gateway.fleet() if isinstance(self._gateway, KnowsFleet) else self._fleet
        usage = reading.total_power_kw
        planned = self._baseline_kw()
        baseline = usage if planned is None else planned
        soc = np.where(np.isfinite(reading.soc), reading.soc, fleet.soc)
        plugged = reading.plugged_in & reading.online
        energy = soc * fleet.capacity_kwh
        can_discharge = plugged & (soc > fleet.min_soc)
        discharge_kw = float(np.sum(np.where(can_discharge, fleet.max_discharge_kw, 0.0)))
        return FleetSample(
            ts=now,
            usage_kw=usage,
            baseline_kw=baseline,
            online=reading.online_count > 0 or len(reading) == 0,
            available_reduction_kw=max(baseline, 0.0) + discharge_kw,
            stored_energy_kwh=float(np.sum(np.where(plugged, energy, 0.0))),
            reading=reading,
        )
