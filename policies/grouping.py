"""Group similar EVs into virtual batteries so the optimiser's LP stays small for large fleets.

EVs in a group share their availability pattern and V2G capability, and are close in SOC margin and
power-to-energy ratio. A group of one is the EV itself, so fleets up to `max_groups` are solved exactly.
"""

from __future__ import annotations

import numpy as np

from ven.feasibility.envelope import Envelope
from ven.model.fleet import BoolArray, IntArray


def group_labels(envelope: Envelope, members: BoolArray, max_groups: int) -> tuple[IntArray, int]:
    """Label each member EV with a group in [0, count); non-members get -1."""
    labels = np.full(len(envelope.fleet), -1, dtype=np.int64)
    index = np.nonzero(members)[0]
    if index.size <= max_groups:
        labels[index] = np.arange(index.size)
        return labels, int(index.size)
    fleet = envelope.fleet
    last_available = envelope.available[index].sum(axis=1)
    v2g = envelope.discharge_limit_kw[index] > 0.0
    capacity = fleet.capacity_kwh[index]
    # Members should run out of room together when driven in proportion: same power-to-energy class,
    # then similar hours of full-power discharge (or of charging) left.
    power_class = np.round((envelope.discharge_limit_kw[index] + fleet.max_charge_kw[index]) / capacity, 2)
    rate = np.where(v2g, envelope.discharge_limit_kw[index], fleet.max_charge_kw[index]) + 1e-9
    hours = (fleet.energy_kwh[index] - envelope.floor_kwh[index, -1]) / rate
    _, power_class_index = np.unique(power_class, return_inverse=True)
    keys = (last_available * 2 + v2g) * (power_class_index.max() + 1) + power_class_index
    count = 0
    for key in np.unique(keys):
        in_key = np.nonzero(keys == key)[0]
        share = max(1, round(max_groups * in_key.size / index.size))
        ordered = in_key[np.argsort(hours[in_key], kind="stable")]
        for chunk in np.array_split(ordered, share):
            if chunk.size:
                labels[index[chunk]] = count
                count += 1
    return labels, count
