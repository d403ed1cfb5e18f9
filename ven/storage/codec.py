"""Compact binary forms for per-EV arrays: setpoints in whole watts (full or only what changed), baselines.

A dispatch decision at 10,000 EVs was 133 kB of JSON; as int32 watts it is 40 kB before zlib, and a
re-dispatch that changes few setpoints stores only those (index, watts) pairs.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from collections.abc import Mapping

MISSING_W = np.int32(-(2**31))  # an EV this decision did not command
_FULL, _DELTA, _FLOATS = b"K", b"D", b"F"
_LEVEL = 6
Watts = npt.NDArray[np.int32]


def to_watts(
    ev_ids: tuple[str, ...], setpoints_kw: Mapping[str, float], index: Mapping[str, int] | None = None
) -> Watts:
    """Setpoints (kW) as whole watts in `ev_ids` order; MISSING_W for EVs without a setpoint.
    `index`: each id's position in `ev_ids`, when the caller keeps one (10,000 EVs: most of the cost)."""
    out = np.full(len(ev_ids), MISSING_W, dtype=np.int32)
    if setpoints_kw:
        if index is None:
            index = ev_index(ev_ids)
        positions = np.fromiter(map(index.__getitem__, setpoints_kw), dtype=np.int64, count=len(setpoints_kw))
        values = np.fromiter(setpoints_kw.values(), dtype=np.float64, count=len(setpoints_kw))
        out[positions] = np.rint(values * 1000.0).astype(np.int32)
    return out


def ev_index(ev_ids: tuple[str, ...]) -> dict[str, int]:
    """Each id's position in `ev_ids`."""
    return {ev_id: i for i, ev_id in enumerate(ev_ids)}


def from_watts(ev_ids: tuple[str, ...], watts: Watts) -> dict[str, float]:
    present = np.flatnonzero(watts != MISSING_W)
    values = watts[present].astype(np.float64) / 1000.0
    return {ev_ids[i]: float(v) for i, v in zip(present.tolist(), values.tolist(), strict=True)}


def encode_full(watts: Watts) -> bytes:
    return zlib.compress(_FULL + watts.astype("<i4").tobytes(), _LEVEL)


def encode_delta(previous: Watts, watts: Watts) -> bytes | None:
    """Only the setpoints that changed since `previous`; None when that would not be smaller than full."""
    changed = np.flatnonzero(previous != watts)
    if 2 * len(changed) >= len(watts):
        return None
    body = (
        struct.pack("<i", len(changed))
        + changed.astype("<i4").tobytes()
        + watts[changed].astype("<i4").tobytes()
    )
    return zlib.compress(_DELTA + body, _LEVEL)


def decode(blob: bytes, previous: Watts | None) -> Watts:
    """A full vector, or `previous` with a delta applied (ValueError for a delta without its base)."""
    raw = zlib.decompress(blob)
    kind, body = raw[:1], raw[1:]
    if kind == _FULL:
        return np.frombuffer(body, dtype="<i4").astype(np.int32)
    if kind == _DELTA:
        if previous is None:
            raise ValueError("a setpoint delta without the decision it follows")
        (count,) = struct.unpack_from("<i", body)
        idx = np.frombuffer(body, dtype="<i4", count=count, offset=4)
        values = np.frombuffer(body, dtype="<i4", count=count, offset=4 + 4 * count)
        out = previous.copy()
        out[idx] = values
        return out
    raise ValueError(f"unknown setpoint encoding {kind!r}")


def encode_floats(values: npt.NDArray[np.float64]) -> bytes:
    """A 2-D float64 array (exact), zlib-compressed; baselines repeat a few charge rates, so this is small."""
    rows, cols = values.shape
    return zlib.compress(_FLOATS + struct.pack("<ii", rows, cols) + values.astype("<f8").tobytes(), _LEVEL)


def decode_floats(blob: bytes) -> npt.NDArray[np.float64]:
    raw = zlib.decompress(blob)
    if raw[:1] != _FLOATS:
        raise ValueError("not a float array")
    rows, cols = struct.unpack_from("<ii", raw, 1)
    return np.frombuffer(raw, dtype="<f8", offset=9).astype(np.float64).reshape(rows, cols)


def ev_set_digest(ev_ids: tuple[str, ...]) -> str:
    """A stable name for an ordered list of EV ids (64 bits of SHA-256, hex)."""
    return hashlib.sha256("\n".join(ev_ids).encode()).hexdigest()[:16]
