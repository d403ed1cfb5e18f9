"""Telemetry: every `reports.sampling`, read the gateway, store fleet (and per-EV) samples, keep the latest.

Baseline: during an event, the contract baseline of the fleet over the current interval (the dispatch
controller's latest plan, ven.model.baseline on the measured state); outside events the fleet charges
unmanaged, so its baseline is what it draws. Every sample is stored unreported; the reporting edge sends
it (TELEMETRY_USAGE is store and forward) and marks it reported once the VTN acknowledged it.

Status (per site and for the fleet) goes to the StatusLog: online, whether an owner override holds it,
and its power range now, from ven.feasibility.flexibility (the one definition of available reduction)
over the next STATUS_STEP from the measured state; held EVs offer nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np

from ven.availability import NO_HOLDS, Holds
from ven.chargers.gateway import KnowsFleet
from ven.feasibility.envelope import Envelope
from ven.feasibility.flexibility import flexibility
from ven.model.horizon import Horizon
from ven.storage import FLEET_RESOURCE, TelemetrySample
from ven.telemetry.series import Quantity, ResourceStatus, ResourceStatuses, StatusLog, StatusSnapshot

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import datetime

    from ven.chargers.gateway import ChargerGateway, FleetReading
    from ven.model.fleet import Fleet, FloatArray, SiteGroups
    from ven.storage import Store

STATUS_STEP = timedelta(minutes=15)  # the span the status's available reduction is figured over


@dataclass(frozen=True)
class FleetSample:
    """The fleet's figures at one instant (kW, kWh); what the live reports and /status show."""

    ts: datetime
    usage_kw: float
    baseline_kw: float
    online: bool
    available_reduction_kw: float
    stored_energy_kwh: float
    available_curtailment_kw: float = 0.0
    resources: Mapping[str, ResourceStatus] = field(default_factory=dict)  # each site, and "fleet"
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
        holds: Callable[[datetime], Holds] = lambda _at: NO_HOLDS,
        status_log: StatusLog | None = None,
    ) -> None:
        self._gateway = gateway
        self._fleet = fleet
        self._store = store
        self._baseline_kw = baseline_kw
        self._per_ev = per_ev
        self._holds = holds
        self.status_log = status_log or StatusLog()
        self.latest: FleetSample | None = None
        self.state: Fleet | None = None  # the fleet as last measured (SOC, plugged in), holds aside

    async def sample(self, now: datetime) -> FleetSample:
        reading = await self._gateway.read()
        sample = self._figures(reading, now)
        reported = False  # the reporting edge sends it and marks it once the VTN acknowledged
        finite = reading.soc[np.isfinite(reading.soc)]
        fleet_soc = float(finite.mean()) if finite.size else None  # 3.1 STORAGE_CHARGE_LEVEL
        rows = [
            TelemetrySample(
                now,
                FLEET_RESOURCE,
                sample.usage_kw,
                sample.baseline_kw,
                sample.delta_kw,
                soc=fleet_soc,
                reported=reported,
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
        self.status_log.add(_snapshot(sample))
        self.latest = sample
        return sample

    def _figures(self, reading: FleetReading, now: datetime) -> FleetSample:
        # What the chargers report (OCPP: V1G-only stations, real limits) beats the enrollment file.
        fleet = self._gateway.fleet() if isinstance(self._gateway, KnowsFleet) else self._fleet
        fleet = fleet.rolled(now)
        order = reading.positions(fleet.ids)
        soc = reading.soc[order]
        soc = np.where(np.isfinite(soc), np.clip(soc, 0.0, 1.0), fleet.soc)
        online = reading.online[order]
        plugged = reading.plugged_in[order] & online
        holds = self._holds(now)
        sites = fleet.sites.of_ev
        held = plugged & holds.mask(sites)  # left alone: they draw their baseline, offer nothing
        state = fleet.with_state(soc=soc, plugged_in=plugged)
        self.state = state
        envelope = Envelope(state, Horizon(now, (STATUS_STEP,)))
        flex = flexibility(envelope)
        _, max_kw = envelope.step_bounds(0, state.energy_kwh)
        baseline_now = flex.baseline_kw[:, 0]
        reduction = np.where(held, 0.0, flex.reduction_kw[:, 0])
        curtailment = np.where(held, 0.0, flex.curtailment_kw[:, 0])
        usage = reading.total_power_kw
        planned = self._baseline_kw()
        per_ev = {
            "power": np.nan_to_num(reading.power_kw[order]),
            "baseline": baseline_now,
            "reduction": reduction,
            "max": np.where(held, baseline_now, max_kw),
        }
        resources = _by_site(fleet.sites, online, per_ev, holds)
        energy = soc * fleet.capacity_kwh
        return FleetSample(
            ts=now,
            usage_kw=usage,
            baseline_kw=usage if planned is None else planned,
            online=reading.online_count > 0 or len(reading) == 0,
            available_reduction_kw=float(reduction.sum()),
            stored_energy_kwh=float(np.sum(np.where(plugged, energy, 0.0))),
            available_curtailment_kw=float(curtailment.sum()),
            resources=resources,
            reading=reading,
        )


def _by_site(
    sites: SiteGroups, online: np.ndarray, per_ev: Mapping[str, FloatArray], holds: Holds
) -> ResourceStatuses:
    """Each site's status (summed over its EVs) and the fleet's."""
    count = len(sites.names)
    sums: dict[str, FloatArray] = {  # weighted counts are float64 (numpy's stubs say int)
        name: np.asarray(np.bincount(sites.index, weights=values, minlength=count), dtype=np.float64)
        for name, values in per_ev.items()
    }
    any_online = np.bincount(sites.index, weights=online.astype(float), minlength=count) > 0
    columns = (sums["power"], sums["baseline"], sums["baseline"] - sums["reduction"], sums["max"])
    totals = {name: float(values.sum()) for name, values in per_ev.items()}
    fleet = ResourceStatus(
        online=bool(online.any()) or not sites.of_ev,
        manual_override=holds.overridden(None),
        power_kw=totals["power"],
        baseline_kw=totals["baseline"],
        min_power_kw=totals["baseline"] - totals["reduction"],
        max_power_kw=totals["max"],
    )
    return ResourceStatuses(sites.rows, any_online, columns, holds, fleet)


def _snapshot(sample: FleetSample) -> StatusSnapshot:
    values: dict[tuple[str, Quantity], float | ResourceStatus] = {}
    values[(FLEET_RESOURCE, Quantity.ONLINE)] = 1.0 if sample.online else 0.0
    values[(FLEET_RESOURCE, Quantity.AVAILABLE_REDUCTION)] = sample.available_reduction_kw
    values[(FLEET_RESOURCE, Quantity.AVAILABLE_CURTAILMENT)] = sample.available_curtailment_kw
    values[(FLEET_RESOURCE, Quantity.STORED_ENERGY)] = sample.stored_energy_kwh
    return StatusSnapshot(sample.ts, values, sample.resources)
