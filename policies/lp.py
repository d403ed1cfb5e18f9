"""The optimiser's linear programme over virtual batteries, solved lexicographically with HiGHS.

Per battery g and interval k: charge c ≥ 0, discharge d ≥ 0 (power = c − d), stored energy E at the
interval's end within [floor, capacity]; per interval how far delivery falls below / above the band;
per battery a burden w (energy reduction vs baseline per kWh of battery), written as segments between
the fairness breakpoints.
Objectives in strict order: shortfall energy, Σ dt·d (curtail before exporting), excess energy, then
a convex piecewise-linear penalty on each battery's burden (C per kWh, steeper past each breakpoint)
with its breakpoints packed around
the fleet-wide mean burden, which pulls every battery towards the same burden per kWh.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import highspy
import numpy as np
import numpy.typing as npt

from ven.errors import PolicyError
from ven.model.fleet import BoolArray, FloatArray, IntArray

# Where the fairness penalty steepens, as multiples of the mean burden per kWh; dense near 1 so the
# optimum sits at equal burdens wherever the fleet allows it (a coarse grid leaves ties between them).
FAIRNESS_BREAKPOINTS = (0.0, 0.5, 0.85, 1.0, 1.15, 1.5, 2.5)
# A cell charging and discharging both above this (kW) gets a binary; at most this many rounds and
# binaries (beyond them the relaxation's plan stands and the repair after the split absorbs it).
_BOTH_KW = 1e-6
# The stages `optimal` guarantees (shortfall, then discharge) are solved with the binaries; the rest
# with the binaries fixed where those stages put them.
_GUARANTEED = 2
# How far a later stage may give up an earlier stage's optimum, relative to the fleet's energy scale:
# looser, and each stage trades the one before it away measurably (~1e-7 of the scale each).
_HOLD_TOL = 1e-9
_EXACT_ROUNDS = 4
_MAX_BINARIES = 2000


@dataclass(frozen=True)
class Batteries:
    """G virtual batteries over K intervals (a battery may be one EV or a group of similar EVs)."""

    capacity_kwh: FloatArray  # (G,)
    energy_kwh: FloatArray  # (G,) now
    efficiency: FloatArray  # (G,)
    charge_kw: FloatArray  # (G, K) max charge, 0 when unavailable
    discharge_kw: FloatArray  # (G, K) max discharge, 0 when unavailable or not allowed
    floor_kwh: FloatArray  # (G, K) lowest safe energy at each interval's end
    baseline_kw: FloatArray  # (G, K)
    single: BoolArray | None = None  # (G,) True for a battery of one EV; None: all are


@dataclass(frozen=True)
class Target:
    """What the batteries must deliver together: a band of reduction per interval, kW."""

    low_kw: FloatArray  # (K,) band of acceptable reduction: [low, high]
    high_kw: FloatArray  # (K,)
    load_up: BoolArray  # (K,) True where the request is negative: falling short means staying too high
    other_reduction_kw: FloatArray  # (K,) delivered by EVs outside the LP (fixed ones)
    duration_h: FloatArray  # (K,)


def solve(batteries: Batteries, target: Target, time_limit_s: float = 30.0) -> FloatArray:
    """(G, K) power per battery; raises PolicyError if HiGHS does not reach an optimum."""
    g_count, k_count = batteries.charge_kw.shape
    cols = _Columns(g_count, k_count, len(FAIRNESS_BREAKPOINTS))
    matrix, row_lower, row_upper = _rows(batteries, target, cols)
    highs = _quiet_highs()
    options: dict[str, bool | float | str] = {
        "threads": 1,
        "time_limit": time_limit_s,
        "mip_rel_gap": 1e-4,  # the MIP stages (see below): well inside optimal's 0.1 % guarantee
    }
    for name, value in options.items():
        highs.setOptionValue(name, value)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = cols.total, matrix.num_rows
    lp.col_cost_ = np.zeros(cols.total)
    lp.col_lower_, lp.col_upper_ = _bounds(batteries, target, cols)
    lp.row_lower_, lp.row_upper_ = row_lower, row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = matrix.start, matrix.index, matrix.value
    highs.passModel(lp)
    del lp, matrix  # HiGHS holds its own copy: these would stay resident under the solve's peak
    scale = max(1.0, float(np.abs(batteries.baseline_kw).sum() * target.duration_h.max()))
    dt_flat = np.tile(target.duration_h, g_count)
    # Segment b (1-based) of a battery's burden costs b·C per unit: a convex penalty, steeper past each
    # breakpoint, so that the LP fills the segments in order.
    fairness = np.outer(batteries.capacity_kwh, np.arange(1, len(FAIRNESS_BREAKPOINTS) + 1)).ravel()
    # Below the band is a shortfall for a reduction and an excess for a load-up; above it, the reverse.
    below_weight = np.where(target.load_up, 0.0, target.duration_h)
    above_weight = np.where(target.load_up, target.duration_h, 0.0)
    objectives = [
        (cols.penalty, fairness),
        (cols.below, np.concatenate([target.duration_h - below_weight, target.duration_h - above_weight])),
        (cols.discharge, dt_flat),
        (cols.below, np.concatenate([below_weight, above_weight])),
    ]
    stages = list(reversed(objectives))
    # Until the fairness stage the burden's first part is free (a free basic column per burden row:
    # the earlier stages start feasible; measured 4x faster); the fairness stage caps it (see _bounds).
    first_part = np.arange(cols.burden, cols.penalty, dtype=np.int32)
    settings = _StageSettings(
        (
            first_part,
            np.full(g_count, -highspy.kHighsInf),
            np.full(g_count, _breakpoints(batteries, target)[0]),
        )
    )
    held_from = highs.getNumRow()
    values = _lexicographic(highs, stages, scale, settings)
    # One battery charging and discharging in one interval (a resistor: it sheds energy while drawing
    # power) is a relaxation no single setpoint can follow; the LP uses it only where shedding energy
    # pays (load-up near full). Where it does, those cells get one binary each (charge or discharge,
    # not both) and the stages are solved again, as a small MIP, until no cell does it.
    # Only for batteries of one EV: in a group, one member may charge while another discharges.
    binary = np.zeros(g_count * k_count, dtype=bool)
    single = np.ones(g_count * k_count, dtype=bool)
    if batteries.single is not None:
        single = np.repeat(batteries.single, k_count)
    for _ in range(_EXACT_ROUNDS):
        both = _both_ways(values, cols) & single & ~binary
        # HiGHS's time limit counts every run of this instance: no new round past half of it.
        late = highs.getRunTime() > time_limit_s / 2
        if not both.any() or binary.sum() + both.sum() > _MAX_BINARIES or late:
            break
        binary |= both
        held = np.arange(held_from, highs.getNumRow(), dtype=np.int32)
        highs.deleteRows(held.size, held)
        added = _one_way(highs, cols, np.nonzero(both)[0], batteries)
        settings = replace(settings, binaries=np.concatenate([settings.binaries, added]))
        held_from = highs.getNumRow()
        try:
            values = _lexicographic(highs, stages, scale, settings)
        except PolicyError:
            break  # keep the relaxation's plan: the repair after the split absorbs the difference
    charge = values[cols.charge : cols.discharge].reshape(g_count, k_count)
    discharge = values[cols.discharge : cols.below].reshape(g_count, k_count)
    power: FloatArray = charge - discharge
    return power


def _both_ways(values: FloatArray, cols: _Columns) -> BoolArray:
    """Cells (battery·interval, flat) that charge and discharge at once."""
    both: BoolArray = (values[cols.charge : cols.discharge] > _BOTH_KW) & (
        values[cols.discharge : cols.below] > _BOTH_KW
    )
    return both


def _one_way(
    highs: highspy.Highs, cols: _Columns, cells: IntArray, batteries: Batteries
) -> npt.NDArray[np.int32]:
    """Add a binary z per cell with c ≤ max_charge·z and d ≤ max_discharge·(1 − z); z's columns.

    Also the cell's convex hull (energy change at or above the chord from full discharge to full
    charge): valid for every single setpoint, and it makes the MIP's relaxation tight (measured: its
    stages ~10x faster).
    """
    count = cells.size
    first = highs.getNumCol()
    highs.addCols(count, np.zeros(count), np.zeros(count), np.ones(count), 0, [], [], [])
    z = np.arange(first, first + count, dtype=np.int32)
    highs.changeColsIntegrality(count, z, np.full(count, highspy.HighsVarType.kInteger))
    charge_max = batteries.charge_kw.ravel()[cells]
    discharge_max = batteries.discharge_kw.ravel()[cells]
    starts = np.arange(0, 2 * count, 2, dtype=np.int32)
    for column, coefficient, upper in (
        (cols.charge + cells, -charge_max, np.zeros(count)),
        (cols.discharge + cells, discharge_max, discharge_max),
    ):
        index = np.stack([column.astype(np.int32), z], axis=1).ravel()
        value = np.stack([np.ones(count), coefficient], axis=1).ravel()
        highs.addRows(count, np.full(count, -highspy.kHighsInf), upper, 2 * count, starts, index, value)
    # eff·c − d/eff ≥ slope·(c − d) + eff·c_max − slope·c_max (per hour; the chord through both ends).
    eff = np.repeat(batteries.efficiency, cols.k)[cells]
    slope = (eff * charge_max + discharge_max / eff) / np.maximum(charge_max + discharge_max, 1e-12)
    index = np.stack(
        [(cols.charge + cells).astype(np.int32), (cols.discharge + cells).astype(np.int32)], axis=1
    )
    value = np.stack([eff - slope, slope - 1.0 / eff], axis=1)
    highs.addRows(
        count,
        (eff - slope) * charge_max,
        np.full(count, highspy.kHighsInf),
        2 * count,
        starts,
        index.ravel(),
        value.ravel(),
    )
    return z


def _run(highs: highspy.Highs) -> None:
    """Solve to optimality, retrying once from a cold start.

    A warm start after rows and costs changed can end "Infeasible" on a feasible model (HiGHS 1.16,
    seen on a generated fleet when the costs were cleared before the hold row was added).
    """
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        highs.clearSolver()
        highs.run()
    status = highs.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise PolicyError(f"optimal: HiGHS ended with {highs.modelStatusToString(status)}")


@dataclass(frozen=True)
class _StageSettings:
    """What changes between stages besides the objective."""

    fairness_cap: tuple[npt.NDArray[np.int32], FloatArray, FloatArray]  # (columns, lower, upper): last stage
    binaries: npt.NDArray[np.int32] = field(default_factory=lambda: np.zeros(0, dtype=np.int32))


def _lexicographic(
    highs: highspy.Highs, stages: list[tuple[int, FloatArray]], scale: float, settings: _StageSettings
) -> FloatArray:
    """Solve the stages in order (highest priority first), holding each one's optimum for the next.

    Each optimum is held within tolerance by one sparse row, and the next stage starts warm from the
    basis (HiGHS's own multi-objective mode needs ~2x the memory). The fairness cap applies in the last
    stage only; the binaries are integer in the stages `optimal` guarantees (shortfall, discharge) and
    fixed at their values after them, so that the rest are LPs. Leaves len(stages) − 1 rows added.
    """
    columns, lower, upper = settings.fairness_cap
    highs.changeColsBounds(columns.size, columns, lower, np.full(columns.size, highspy.kHighsInf))
    binaries = settings.binaries
    if binaries.size:
        highs.changeColsBounds(binaries.size, binaries, np.zeros(binaries.size), np.ones(binaries.size))
        highs.changeColsIntegrality(
            binaries.size, binaries, np.full(binaries.size, highspy.HighsVarType.kInteger)
        )
    for stage, (start, weights) in enumerate(stages):
        if stage == _GUARANTEED and binaries.size:
            chosen = np.round(np.asarray(highs.getSolution().col_value)[binaries])
            highs.changeColsBounds(binaries.size, binaries, chosen, chosen)
            highs.changeColsIntegrality(
                binaries.size, binaries, np.full(binaries.size, highspy.HighsVarType.kContinuous)
            )
        if stage == len(stages) - 1:
            highs.changeColsBounds(columns.size, columns, lower, upper)
        index = np.arange(start, start + weights.size, dtype=np.int32)
        highs.changeColsCost(weights.size, index, weights)
        _run(highs)
        if stage < len(stages) - 1:
            value = float(highs.getInfo().objective_function_value)
            keep = weights != 0.0
            bound = value + max(_HOLD_TOL * scale, _HOLD_TOL * abs(value))
            highs.addRow(-highspy.kHighsInf, bound, int(keep.sum()), index[keep], weights[keep])
        highs.changeColsCost(weights.size, index, np.zeros(weights.size))
    return np.asarray(highs.getSolution().col_value)


@dataclass(frozen=True, slots=True)
class _Columns:
    """Offsets of the variable blocks: c, d (G·K each), below, above (K each), w (G), u (G·B)."""

    g: int
    k: int
    b: int

    @property
    def charge(self) -> int:
        return 0

    @property
    def discharge(self) -> int:
        return self.g * self.k

    @property
    def below(self) -> int:
        return 2 * self.g * self.k

    @property
    def above(self) -> int:
        return self.below + self.k

    @property
    def burden(self) -> int:
        return self.above + self.k

    @property
    def penalty(self) -> int:
        return self.burden + self.g

    @property
    def total(self) -> int:
        return self.penalty + self.g * self.b


def _bounds(batteries: Batteries, target: Target, cols: _Columns) -> tuple[FloatArray, FloatArray]:
    lower = np.zeros(cols.total)
    upper = np.full(cols.total, highspy.kHighsInf)
    upper[cols.charge : cols.discharge] = batteries.charge_kw.ravel()
    upper[cols.discharge : cols.below] = batteries.discharge_kw.ravel()
    # The burden up to the first breakpoint (capped there in the fairness stage); then one segment per
    # breakpoint, the last unbounded.
    breakpoints = _breakpoints(batteries, target)
    lower[cols.burden : cols.penalty] = -highspy.kHighsInf
    widths = np.append(np.diff(breakpoints), highspy.kHighsInf)
    upper[cols.penalty : cols.total] = np.tile(widths, cols.g)
    return lower, upper


def _breakpoints(batteries: Batteries, target: Target) -> FloatArray:
    """Where the fairness penalty steepens (burden per kWh), around the fleet-wide mean burden."""
    requested_kwh = float(np.abs(np.stack([target.low_kw, target.high_kw])).min(axis=0) @ target.duration_h)
    mean_burden = max(requested_kwh / float(batteries.capacity_kwh.sum()), 1e-3)
    breakpoints: FloatArray = mean_burden * np.asarray(FAIRNESS_BREAKPOINTS)
    return breakpoints


def _rows(batteries: Batteries, target: Target, cols: _Columns) -> tuple[_ColumnWise, FloatArray, FloatArray]:
    g, k, b = cols.g, cols.k, cols.b
    cell = np.arange(g * k)
    dt_flat = np.tile(target.duration_h, g)
    eff = np.repeat(batteries.efficiency, k)
    rows: list[np.ndarray] = []
    columns: list[np.ndarray] = []
    values: list[np.ndarray] = []

    def add(row: np.ndarray, column: np.ndarray, value: np.ndarray | float) -> None:
        rows.append(row)
        columns.append(column)
        values.append(np.broadcast_to(np.asarray(value, dtype=np.float64), row.shape))

    # Stored energy at each interval's end, E0 + Σ_{j≤k} (eff·dt·c − dt/eff·d), within [floor, capacity]:
    # one ranged row per cell instead of an energy column and a dynamics row, so that the all-slack
    # starting basis is already feasible wherever the floors do not bind (measured: fewer pivots).
    upto, then = np.tril_indices(k)
    battery = np.repeat(np.arange(g), upto.size)
    energy_row = (battery * k + np.tile(upto, g)).astype(np.int64)
    energy_col = (battery * k + np.tile(then, g)).astype(np.int64)
    add(energy_row, cols.charge + energy_col, (eff * dt_flat)[energy_col])
    add(energy_row, cols.discharge + energy_col, -(dt_flat / eff)[energy_col])
    energy0 = np.repeat(batteries.energy_kwh, k)
    room_low = batteries.floor_kwh.ravel() - energy0
    room_high = np.repeat(batteries.capacity_kwh, k) - energy0
    # Delivery: Σ_g (d − c) + s − o within [low, high] − (baseline + fixed EVs' reduction).
    row = g * k
    base = batteries.baseline_kw.sum(axis=0) + target.other_reduction_kw
    add(row + cell % k, cols.discharge + cell, 1.0)
    add(row + cell % k, cols.charge + cell, -1.0)
    add(row + np.arange(k), cols.below + np.arange(k), 1.0)
    add(row + np.arange(k), cols.above + np.arange(k), -1.0)
    # Burden w = σ + Σ_b s_b (σ ≤ first breakpoint, segments s_b between breakpoints; see _bounds):
    # C·(σ + Σ s) − Σ dt·(d − c) = Σ dt·b. One row per battery whatever the number of breakpoints.
    row += k
    add(row + cell // k, cols.discharge + cell, -dt_flat)
    add(row + cell // k, cols.charge + cell, dt_flat)
    add(row + np.arange(g), cols.burden + np.arange(g), batteries.capacity_kwh)
    pairs = np.arange(g * b)
    add(row + pairs // b, cols.penalty + pairs, np.repeat(batteries.capacity_kwh, b))
    burden = (batteries.baseline_kw * target.duration_h[None, :]).sum(axis=1)

    matrix = _ColumnWise.of(
        np.concatenate(rows), np.concatenate(columns), np.concatenate(values), (row + g, cols.total)
    )
    row_lower = np.concatenate([room_low, target.low_kw - base, burden])
    row_upper = np.concatenate([room_high, target.high_kw - base, burden])
    return matrix, row_lower, row_upper


@dataclass(frozen=True)
class _ColumnWise:
    """A sparse matrix in HiGHS's column-wise form (built with numpy: scipy would cost ~20 MB of RSS)."""

    start: npt.NDArray[np.int32]  # (columns + 1,) where each column's entries begin
    index: npt.NDArray[np.int32]  # row of each entry
    value: FloatArray
    num_rows: int

    @classmethod
    def of(cls, rows: IntArray, columns: IntArray, values: FloatArray, shape: tuple[int, int]) -> _ColumnWise:
        """From coordinates; each (row, column) pair at most once."""
        order = np.lexsort((rows, columns))
        counts = np.bincount(columns, minlength=shape[1])
        start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
        return cls(start, rows[order].astype(np.int32), values[order], shape[0])


def _quiet_highs() -> highspy.Highs:
    """A HiGHS instance that prints nothing, from its own options (never by redirecting fd 1).

    highspy's `Highs()` wrapper enables its Python callbacks in the constructor, and that prints HiGHS's
    banner to fd 1 before any option can be set (highspy 1.16); `ven plan --json` and `ven demo --json`
    must print JSON only. The pybind11 core class `_Highs` is the same solver without that wrapper (we use
    no callbacks), so output_flag takes effect before anything is logged.
    """
    core: type[highspy.Highs] = getattr(highspy, "_Highs")  # noqa: B009 - private, absent from the stubs
    highs = core()
    highs.setOptionValue("output_flag", False)  # noqa: FBT003 - pybind overloads are positional
    return highs
