"""The full LP's figures for a fleet and request, solved once per machine and cached (it takes minutes).

The cache key is a hash of every number the LP sees, so a changed fleet or request is solved again;
`--fresh` in the scripts (or deleting the folder) forces it. The LP itself: tests/policies/reference_lp.py.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.policies.reference_lp import full_lp
from ven.model.fleet import Fleet
from ven.model.request import Request

CACHE = Path(tempfile.gettempdir()) / "v2x-ven-bench-full-lp"


@dataclass(frozen=True)
class FullLp:
    shortfall_kwh: float
    discharge_kwh: float
    requested_kwh: float
    seconds: float
    power_kw: np.ndarray


def _key(fleet: Fleet, request: Request) -> str:
    digest = hashlib.sha256()
    for column in (
        fleet.capacity_kwh, fleet.soc, fleet.max_charge_kw, fleet.max_discharge_kw, fleet.min_soc,
        fleet.target_soc, fleet.departure_ts, fleet.departure_soc, fleet.efficiency, fleet.plugged_in,
        request.reduction_kw, request.horizon.start_ts, request.horizon.duration_h,
    ):  # fmt: skip
        digest.update(np.ascontiguousarray(column).tobytes())
    return digest.hexdigest()[:24]


def full_lp_figures(fleet: Fleet, request: Request, fresh: bool = False) -> FullLp:
    """Solve (or read back) the two-stage full LP."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"{_key(fleet, request)}.npz"
    if path.exists() and not fresh:
        with np.load(path) as stored:
            figures = json.loads(str(stored["figures"]))
            return FullLp(**figures, power_kw=stored["power_kw"])
    started = time.perf_counter()
    reference = full_lp(fleet, request)
    figures = {
        "shortfall_kwh": reference.shortfall_kwh,
        "discharge_kwh": reference.discharge_kwh,
        "requested_kwh": reference.requested_kwh,
        "seconds": time.perf_counter() - started,
    }
    np.savez(path, figures=json.dumps(figures), power_kw=reference.power_kw)
    return FullLp(**figures, power_kw=reference.power_kw)
