"""Shared fixtures for the storage tests: a real SQLite file in tmp_path and a manual clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ven.clock import ManualClock
from ven.storage import Store

T0 = datetime(2025, 1, 15, 17, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "ven.db"


@pytest.fixture
def store(db_path, clock):
    with Store.open(db_path, clock=clock) as opened:
        yield opened
