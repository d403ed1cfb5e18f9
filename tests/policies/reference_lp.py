"""A plain full LP, written from CONTRACT.md alone, as the reference `optimal` is measured against.

One battery per EV, no grouping, no repair, nothing shared with `policies/` or `ven/feasibility`:
variables c ≥ 0 (charge), d ≥ 0 (discharge) and E (stored energy at each interval's end) per EV and
interval, and s ≥ 0 (shortfall) per interval. Two stages, solved by scipy's HiGHS: (1) least shortfall
energy Σ s·dt, (2) holding that, least discharge energy Σ d·dt. The LP lets an EV charge and discharge in
one interval, so its optimum is a lower bound on what any real plan achieves.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from ven.model.fleet import Fleet
from ven.model.request import Request


@dataclass(frozen=True)
class Reference:
    shortfall_kwh: float
    discharge_kwh: float
    requested_kwh: float  # Σ |requested| · dt
    power_kw: np.ndarray  # (N, K) c − d
    stage_s: tuple[float, float] = (0.0, 0.0)  # wall time of each stage (for benchmarks/bench_full_lp.py)


def _baseline_kw(fleet: Fleet, available: np.ndarray, dt_h: np.ndarray) -> np.ndarray:
    """CONTRACT.md's baseline: full rate while plugged in and below target_soc, a partial last step."""
    energy = fleet.soc * fleet.capacity_kwh
    target = fleet.target_soc * fleet.capacity_kwh
    out = np.zeros(available.shape)
    for k, dt in enumerate(dt_h):
        power = np.minimum(fleet.max_charge_kw, np.maximum(target - energy, 0.0) / (fleet.efficiency * dt))
        out[:, k] = np.where(available[:, k], power, 0.0)
        energy = energy + fleet.efficiency * out[:, k] * dt
    return out


@dataclass(frozen=True)
class _Fleet:
    """What CONTRACT.md says about each EV over the horizon."""

    available: np.ndarray  # (N, K) plugged in and not leaving before the interval's end (a prefix)
    required_kwh: np.ndarray  # (N,) at the end of the last available interval; −inf if none
    hopeless: np.ndarray  # (N,) cannot reach departure_soc even charging flat out
    reserve_kwh: np.ndarray  # (N,)
    discharge_kw: np.ndarray  # (N,) 0 where discharging is not allowed
    fixed_kw: np.ndarray  # (N, K) the hopeless EVs' flat-out charging (0 for the others)
    baseline_kw: np.ndarray  # (N, K)


def _contract(fleet: Fleet, request: Request) -> _Fleet:
    horizon = request.horizon
    dt_h = np.asarray(horizon.duration_h)
    cap, eff = fleet.capacity_kwh, fleet.efficiency
    energy0 = fleet.soc * cap
    available = fleet.plugged_in[:, None] & (fleet.departure_ts[:, None] >= horizon.end_ts[None, :])
    last_end = horizon.start_ts[0] + (available * dt_h).sum(axis=1) * 3600.0
    after_h = np.where(np.isfinite(fleet.departure_ts), fleet.departure_ts - last_end, 0.0) / 3600.0
    required = np.where(
        np.isfinite(fleet.departure_ts) & available.any(axis=1),
        fleet.departure_soc * cap - eff * fleet.max_charge_kw * np.maximum(after_h, 0.0),
        -np.inf,
    )
    flat_out_kwh = energy0 + eff * fleet.max_charge_kw * (available * dt_h).sum(axis=1)
    hopeless = flat_out_kwh < required - 1e-6
    fixed_kw = np.zeros(available.shape)
    energy = energy0.copy()
    for k, dt in enumerate(dt_h):
        room_kw = np.maximum(cap - energy, 0.0) / (eff * dt)
        fixed_kw[:, k] = np.where(hopeless & available[:, k], np.minimum(fleet.max_charge_kw, room_kw), 0.0)
        energy = energy + eff * fixed_kw[:, k] * dt
    return _Fleet(
        available=available,
        required_kwh=required,
        hopeless=hopeless,
        reserve_kwh=np.minimum(fleet.min_soc * cap, energy0),
        discharge_kw=np.where((fleet.soc < fleet.min_soc) | hopeless, 0.0, fleet.max_discharge_kw),
        fixed_kw=fixed_kw,
        baseline_kw=_baseline_kw(fleet, available, dt_h),
    )


def _sparse(rows: list[np.ndarray], cols: list[np.ndarray], vals: list[np.ndarray], shape: tuple[int, int]):
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=shape)


def full_lp(fleet: Fleet, request: Request) -> Reference:
    """Solve the two-stage full LP for `request` on `fleet` (raises AssertionError if HiGHS fails)."""
    facts = _contract(fleet, request)
    dt_h = np.asarray(request.horizon.duration_h)
    k_count = dt_h.size
    free = np.nonzero(~facts.hopeless & facts.available.any(axis=1))[0]
    m = free.size
    cells = m * k_count
    c0, d0, e0, s0 = 0, cells, 2 * cells, 3 * cells
    total = 3 * cells + k_count
    lower, upper = np.zeros(total), np.zeros(total)
    on = facts.available[free].ravel()
    upper[c0:d0] = np.where(on, np.repeat(fleet.max_charge_kw[free], k_count), 0.0)
    upper[d0:e0] = np.where(on, np.repeat(facts.discharge_kw[free], k_count), 0.0)
    lower[e0:s0] = np.repeat(facts.reserve_kwh[free], k_count)
    upper[e0:s0] = np.repeat(fleet.capacity_kwh[free], k_count)
    last = e0 + np.arange(m) * k_count + k_count - 1
    lower[last] = np.maximum(lower[last], facts.required_kwh[free])
    upper[s0:] = np.inf

    # Dynamics: E_k − E_{k−1} − eff·dt·c_k + dt/eff·d_k = 0 (E_{−1} = E0 on the right-hand side).
    cell = np.arange(cells)
    k_of = cell % k_count
    dt_cell = dt_h[k_of]
    eff_cell = np.repeat(fleet.efficiency[free], k_count)
    a_eq = _sparse(
        [cell, cell[k_of > 0], cell, cell],
        [e0 + cell, e0 + cell[k_of > 0] - 1, c0 + cell, d0 + cell],
        [np.ones(cells), -np.ones(int((k_of > 0).sum())), -eff_cell * dt_cell, dt_cell / eff_cell],
        (cells, total),
    )
    b_eq = np.where(k_of == 0, np.repeat((fleet.soc * fleet.capacity_kwh)[free], k_count), 0.0)

    # Shortfall as ≤ rows, reduction = baseline − Σ power (free and fixed EVs):
    # reduce: r − (base − Σc + Σd) ≤ s  →  Σc − Σd − s ≤ base − r; load-up: the mirror image.
    base = facts.baseline_kw.sum(axis=0) - facts.fixed_kw.sum(axis=0)
    wanted = np.asarray(request.reduction_kw)
    sign = np.where(wanted >= 0.0, 1.0, -1.0)
    a_ub = _sparse(
        [k_of, k_of, np.arange(k_count)],
        [c0 + cell, d0 + cell, s0 + np.arange(k_count)],
        [sign[k_of], -sign[k_of], -np.ones(k_count)],
        (k_count, total),
    )
    model = _Model(a_ub, sign * (base - wanted), a_eq, b_eq, lower, upper, c0, d0, e0)

    cost = np.zeros(total)
    cost[s0:] = dt_h
    started = time.perf_counter()
    shortfall, _ = model.solve(cost)
    first_s = time.perf_counter() - started
    hold = _sparse([np.zeros(k_count, dtype=int)], [s0 + np.arange(k_count)], [dt_h], (1, total))
    requested_kwh = float(np.abs(wanted) @ dt_h)
    model = model.with_row(hold, shortfall + 1e-9 * max(1.0, requested_kwh))
    cost = np.zeros(total)
    cost[d0:e0] = dt_cell
    started = time.perf_counter()
    discharge, x = model.solve(cost)
    second_s = time.perf_counter() - started
    power = facts.fixed_kw.copy()
    power[free] = (x[c0:d0] - x[d0:e0]).reshape(m, k_count)
    return Reference(shortfall, discharge, requested_kwh, power, (first_s, second_s))


@dataclass(frozen=True)
class _Model:
    a_ub: sp.csr_matrix
    b_ub: np.ndarray
    a_eq: sp.csr_matrix
    b_eq: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    c0: int
    d0: int
    e0: int

    def with_row(self, row: sp.csr_matrix, bound: float) -> _Model:
        return replace(self, a_ub=sp.vstack([self.a_ub, row]).tocsr(), b_ub=np.append(self.b_ub, bound))

    def solve(self, cost: np.ndarray) -> tuple[float, np.ndarray]:
        """The LP's optimum; where it charges and discharges one EV in one interval, the exact model's."""
        bounds = np.stack([self.lower, self.upper], axis=1)
        result = linprog(
            cost,
            A_ub=self.a_ub,
            b_ub=self.b_ub,
            A_eq=self.a_eq,
            b_eq=self.b_eq,
            bounds=bounds,
            method="highs",
        )
        assert result.status == 0, result.message
        x = result.x
        both = (x[self.c0 : self.d0] > 1e-7) & (x[self.d0 : self.e0] > 1e-7)
        if not both.any():
            return float(result.fun), x
        return self._exact(cost)

    def _exact(self, cost: np.ndarray) -> tuple[float, np.ndarray]:
        """One binary per EV and interval: charge (c ≤ max·z) or discharge (d ≤ max·(1 − z)), never both."""
        cells = self.d0 - self.c0
        total = cost.size
        index = np.arange(cells)
        c_max, d_max = self.upper[self.c0 : self.d0], self.upper[self.d0 : self.e0]
        # Columns: the LP's, then z per cell.
        widen = sp.hstack
        a_ub = widen([self.a_ub, sp.csr_matrix((self.a_ub.shape[0], cells))])
        a_eq = widen([self.a_eq, sp.csr_matrix((self.a_eq.shape[0], cells))])
        rows = np.concatenate([index, index, cells + index, cells + index])
        cols = np.concatenate([self.c0 + index, total + index, self.d0 + index, total + index])
        vals = np.concatenate([np.ones(cells), -c_max, np.ones(cells), d_max])
        switch = sp.csr_matrix((vals, (rows, cols)), shape=(2 * cells, total + cells))
        constraints = [
            LinearConstraint(a_ub, -np.inf, self.b_ub),
            LinearConstraint(a_eq, self.b_eq, self.b_eq),
            LinearConstraint(switch, -np.inf, np.concatenate([np.zeros(cells), d_max])),
        ]
        result = milp(
            np.concatenate([cost, np.zeros(cells)]),
            integrality=np.concatenate([np.zeros(total), np.ones(cells)]),
            bounds=Bounds(
                np.concatenate([self.lower, np.zeros(cells)]), np.concatenate([self.upper, np.ones(cells)])
            ),
            constraints=constraints,
            options={"mip_rel_gap": 1e-9},
        )
        assert result.status == 0, result.message
        return float(result.fun), result.x[:total]
