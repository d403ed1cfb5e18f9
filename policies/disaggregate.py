"""Split each group's planned power across its members so that they run out of room together.

The group LP treats a group as one battery: energy in one member can back power in another. Members
that are driven to keep the same hours of full-power room above their end-of-horizon floor run dry at
the same time, which is what that model assumes. Charging groups stay within [stop-charging, max] and
discharging groups within [min, stop-charging], so no member exports while another in its group still
charges (measured: −0.21 % delivered vs the full LP at 600 groups, against −0.37 % for an even share
of each member's range).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ven.feasibility.envelope import Envelope
from ven.feasibility.physics import power_for_delta_kw
from ven.model.fleet import BoolArray, FloatArray, IntArray

_BISECTIONS = 48  # on hours in [-1e4, 1e4]: ~1e-10 h resolution; the final interpolation is exact anyway


@dataclass(frozen=True)
class GroupMembers:
    """The LP's EVs (in fleet order) with their group and the figures the split needs."""

    label: IntArray
    count: int
    floor_end_kwh: FloatArray
    rate_kw: FloatArray
    efficiency: FloatArray

    @classmethod
    def of(cls, envelope: Envelope, labels: IntArray, members: BoolArray) -> GroupMembers:
        fleet = envelope.fleet
        discharge = envelope.discharge_limit_kw[members]
        rate = np.where(discharge > 0.0, discharge, fleet.max_charge_kw[members])
        label = labels[members]
        return cls(
            label,
            int(label.max()) + 1,
            envelope.floor_kwh[members, -1],
            rate + 1e-9,
            fleet.efficiency[members],
        )

    def total(self, values: FloatArray) -> FloatArray:
        return np.bincount(self.label, weights=values, minlength=self.count).astype(np.float64)


def split_by_hours(
    group_kw: FloatArray,
    members: GroupMembers,
    bounds_kw: tuple[FloatArray, FloatArray],
    energy_kwh: FloatArray,
    dt_h: float,
) -> FloatArray:
    """Member powers whose group sums equal `group_kw`, clipped to what the members can do."""
    label = members.label
    low, high = bounds_kw
    zero = np.clip(0.0, low, high)
    target = np.clip(group_kw, members.total(low), members.total(high))
    charging = (target >= members.total(zero))[label]
    seg_low = np.where(charging, zero, low)
    seg_high = np.where(charging, high, zero)

    def at_level(hours: FloatArray) -> FloatArray:
        wanted = members.floor_end_kwh + hours[label] * members.rate_kw - energy_kwh
        power: FloatArray = np.clip(power_for_delta_kw(wanted, members.efficiency, dt_h), seg_low, seg_high)
        return power

    level_low, level_high = np.full(members.count, -1e4), np.full(members.count, 1e4)
    for _ in range(_BISECTIONS):
        mid = 0.5 * (level_low + level_high)
        above = members.total(at_level(mid)) > target
        level_high = np.where(above, mid, level_high)
        level_low = np.where(above, level_low, mid)
    power_low, power_high = at_level(level_low), at_level(level_high)
    sum_low, sum_high = members.total(power_low), members.total(power_high)
    gap = sum_high - sum_low
    weight = np.zeros(members.count)
    np.divide(target - sum_low, gap, out=weight, where=gap > 1e-9)
    split: FloatArray = power_low + np.clip(weight, 0.0, 1.0)[label] * (power_high - power_low)
    return split
