"""Group similar EVs into virtual batteries so the optimiser's LP stays small for large fleets.

EVs in a group share their availability pattern and V2G capability, and are close in SOC margin and
power-to-energy ratio. A group of one is the EV itself, so fleets up to `max_groups` are solved exactly.
"""

from __future__ import annotations

import math

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
    margin = (fleet.energy_kwh[index] - envelope.floor_kwh[index, -1]) / fleet.capacity_kwh[index]
    ratio = fleet.max_charge_kw[index] / fleet.capacity_kwh[index]
    keys = last_available * 2 + v2g
    count = 0
    for key in np.unique(keys):
        in_key = np.nonzero(keys == key)[0]
        share = max(1, round(max_groups * in_key.size / index.size))
        bins = max(1, math.isqrt(share))
        # Quantile bins on margin, then on power ratio within each margin bin.
        by_margin = in_key[np.argsort(margin[in_key], kind="stable")]
        for margin_chunk in np.array_split(by_margin, bins):
            by_ratio = margin_chunk[np.argsort(ratio[margin_chunk], kind="stable")]
            for chunk in np.array_split(by_ratio, max(1, share // bins)):
                if chunk.size:
                    labels[index[chunk]] = count
                    count += 1
    return labels, count
