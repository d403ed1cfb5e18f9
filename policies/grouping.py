"""Group similar EVs into virtual batteries so the optimiser's LP stays small for large fleets.

EVs in a group share their availability pattern, V2G capability and power-to-energy class, and have
the same hours of full-power room above their end-of-horizon floor on a grid of 3 minutes (coarser when
that would make more than `max_groups` groups). Hours beyond the EV's available time are one bin: the
floor cannot bind there. A group of one is the EV itself, so fleets up to `max_groups` are solved
exactly.
"""

from __future__ import annotations

import numpy as np

from ven.feasibility.envelope import Envelope
from ven.model.fleet import BoolArray, FloatArray, IntArray

_GRID_BISECTIONS = 20
_STEP_H = 0.05
_FAR_H = 1e6


def group_labels(envelope: Envelope, members: BoolArray, max_groups: int) -> tuple[IntArray, int]:
    """Label each member EV with a group in [0, count); non-members get -1."""
    labels = np.full(len(envelope.fleet), -1, dtype=np.int64)
    index = np.nonzero(members)[0]
    if index.size <= max_groups:
        labels[index] = np.arange(index.size)
        return labels, int(index.size)
    fleet = envelope.fleet
    available_h = (envelope.available[index] * envelope.horizon.duration_h).sum(axis=1)
    v2g = envelope.discharge_limit_kw[index] > 0.0
    capacity = fleet.capacity_kwh[index]
    # Members should run out of room together when driven in proportion: same availability, power-to-
    # energy class and V2G capability, then similar hours of full-power discharge (or of charging) left
    # above the end-of-horizon floor. Hours beyond the EV's available time make no difference (the floor
    # cannot bind), so they are capped there: such EVs group exactly.
    power_class = np.round((envelope.discharge_limit_kw[index] + fleet.max_charge_kw[index]) / capacity, 2)
    # Battery-side rate (kWh per hour of full power): discharging draws p/eff, charging stores eff·p.
    efficiency = fleet.efficiency[index]
    rate = (
        np.where(
            v2g, envelope.discharge_limit_kw[index] / efficiency, fleet.max_charge_kw[index] * efficiency
        )
        + 1e-9
    )
    hours = (fleet.energy_kwh[index] - envelope.floor_kwh[index, -1]) / rate
    # Beyond ± the available time the floor cannot bind (or is out of reach): one bin each side.
    hours = np.where(np.abs(hours) >= available_h, np.sign(hours) * _FAR_H, hours)
    _, pattern = np.unique(envelope.available[index], axis=0, return_inverse=True)
    _, power_class_index = np.unique(power_class, return_inverse=True)
    keys = (pattern.ravel() * 2 + v2g) * (power_class_index.max() + 1) + power_class_index
    # One efficiency per group where that fits: then a group's LP is an exact relaxation of its members'
    # (with mixed efficiencies its energy accounting is a capacity-weighted average).
    _, efficiency_class = np.unique(np.round(efficiency, 3), return_inverse=True)
    pure = keys * (efficiency_class.max() + 1) + efficiency_class.ravel()
    if np.unique(pure).size <= max_groups:
        keys = pure
    # The finest grid of hours that keeps the group count within max_groups (bisection on its step),
    # but no finer than _STEP_H: closer than that, members run out of room together to within a minute
    # or two, which the refinement in `optimal` settles (measured: as exact, at a fraction of the time).
    fine, coarse = _STEP_H, float(2.0 * available_h.max()) + 1.0
    if _count(keys, hours, fine) <= max_groups:
        coarse = fine
    for _ in range(_GRID_BISECTIONS if coarse > fine else 0):
        step = 0.5 * (fine + coarse)
        if _count(keys, hours, step) > max_groups:
            fine = step
        else:
            coarse = step
    _, group = np.unique(np.stack([keys, np.floor(hours / coarse)]), axis=1, return_inverse=True)
    labels[index] = group.ravel()
    return labels, int(group.max()) + 1


def _count(keys: IntArray, hours: FloatArray, step: float) -> int:
    return int(np.unique(np.stack([keys, np.floor(hours / step)]), axis=1).shape[1])
