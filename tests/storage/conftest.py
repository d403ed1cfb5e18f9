"""Shared fixtures for the storage tests: every test runs on a real SQLite file and on a real PostgreSQL
database (a schema of its own), with a manual clock."""

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


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """The database a test's stores open: an SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ven.db'}"
    return request.getfixturevalue("postgres_schema_url")


@pytest.fixture
def store(db_url, clock):
    with Store.open(db_url, clock=clock) as opened:
        yield opened
