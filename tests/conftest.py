"""Shared fixtures."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, settings

from tests.pgserver import PgServer, bin_dir

# CI: more examples, derandomised so a run is reproducible; locally, quick.
settings.register_profile(
    "ci", max_examples=150, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "dev", max_examples=60, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server for the session: V2X_TEST_POSTGRES_URL, else one started here from the server
    binaries (tests/pgserver.py). Without either, skipped locally with the reason; in CI that is a failure."""
    url = os.environ.get("V2X_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    if bin_dir() is None:
        reason = "no PostgreSQL: set V2X_TEST_POSTGRES_URL or install the postgresql package"
        if os.environ.get("CI"):
            pytest.fail(f"CI must test PostgreSQL too: {reason}")
        pytest.skip(reason)
    folder = Path(tempfile.mkdtemp(prefix="v2x-pg-"))  # not tmp_path: the server user must reach it
    server = PgServer.create(folder)
    try:
        yield server.url
    finally:
        server.stop(mode="immediate")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_schema_url(postgres_url: str) -> Iterator[str]:
    """A URL whose search_path is a new, empty schema: a database of its own for one test."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield f"{postgres_url}?options=-csearch_path%3D{schema}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def own_postgres() -> Iterator[PgServer]:
    """A PostgreSQL server of this test's own, to stop and start (restart tests)."""
    if bin_dir() is None:
        reason = "no PostgreSQL server binaries (install the postgresql package)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL restart tests: {reason}")
        pytest.skip(reason)
    folder = Path(tempfile.mkdtemp(prefix="v2x-pg-"))
    server = PgServer.create(folder)
    try:
        yield server
    finally:
        if server.running():
            server.stop(mode="immediate")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """A command run in-process (`main(["run", ...])`) configures root logging; the next test starts
    without its handler and level."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
