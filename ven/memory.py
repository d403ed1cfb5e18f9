"""Hand freed heap back to the operating system after large, short-lived allocations (a fleet-size plan).

glibc keeps freed memory in its arenas (one per thread that allocated); after a solve of a 10,000-EV
problem in a worker thread, tens of MB stay resident although free. `malloc_trim` releases them, so the
next plan starts from a low floor instead of stacking on top of the last one. A no-op off glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.cache
def _trim() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_free_memory() -> None:
    trim = _trim()
    if trim is not None:
        trim(0)
