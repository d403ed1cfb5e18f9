"""Opening storage.url: URL resolution, migrations from empty and from v1, refusing what is not ours."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from ven.errors import InputError
from ven.storage import (
    LATEST_VERSION,
    NotAVenDatabaseError,
    SchemaTooNewError,
    StorageError,
    StorageUrlError,
    Store,
    resolve_storage_path,
)
from ven.storage.migrations import apply_migrations
from ven.storage.sqlite import SqliteBackend


def tables(path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_urls_resolve_relative_to_the_config_directory(tmp_path):
    """sqlite:///rel.db is relative to base_dir, sqlite:////abs.db absolute, plain paths accepted."""
    assert resolve_storage_path("sqlite:///ven.db", tmp_path) == str(tmp_path / "ven.db")
    assert resolve_storage_path("sqlite:///data/ven.db", tmp_path) == str(tmp_path / "data" / "ven.db")
    assert resolve_storage_path("sqlite:////var/lib/ven.db", tmp_path) == "/var/lib/ven.db"
    assert resolve_storage_path(str(tmp_path / "x.db")) == str(tmp_path / "x.db")
    assert resolve_storage_path(tmp_path / "y.db", "/elsewhere") == str(tmp_path / "y.db")
    assert resolve_storage_path("sqlite:///:memory:") == ":memory:"


@pytest.mark.parametrize(
    "url", ["postgres://h/db", "sqlite://relative.db", "sqlite:///", "sqlite:///a.db?mode=ro", ""]
)
def test_bad_urls_are_input_errors(url):
    """Anything but sqlite:///<path> is refused as bad input (CLI exit code 2) naming the URL."""
    with pytest.raises(StorageUrlError) as caught:
        resolve_storage_path(url)
    assert isinstance(caught.value, InputError)


def test_open_creates_the_latest_schema_in_wal_mode(tmp_path, clock):
    """An empty file gets every migration, recorded in schema_version, and WAL journaling."""
    with Store.open("sqlite:///ven.db", base_dir=tmp_path, clock=clock) as store:
        assert store.schema_version == LATEST_VERSION
        assert store.path == str(tmp_path / "ven.db")
    assert {"schema_version", "vens", "events", "dispatch", "telemetry", "performance"} <= tables(
        tmp_path / "ven.db"
    )
    with sqlite3.connect(tmp_path / "ven.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        versions = conn.execute("SELECT version, applied_at FROM schema_version ORDER BY version").fetchall()
    assert [v for v, _ in versions] == list(range(1, LATEST_VERSION + 1))
    assert versions[0][1] == "2025-01-15T17:00:00.000000+00:00"


def test_a_v1_database_is_migrated_keeping_its_data(db_path, clock):
    """A database left at schema v1 (with data) is upgraded on open; the data survives."""
    backend = SqliteBackend(str(db_path))
    with backend.transaction() as conn:
        apply_migrations(backend, conn, 0, "2024-12-01T00:00:00.000000+00:00", target=1)
        conn.execute(
            "INSERT INTO telemetry (ts, resource, usage_kw) VALUES (:ts, 'fleet', 42.0)",
            {"ts": "2024-12-01T00:00:00.000000+00:00"},
        )
    backend.close()
    clock.advance(timedelta(days=1))
    with Store.open(db_path, clock=clock) as store:
        assert store.schema_version == LATEST_VERSION
        [sample] = store.telemetry.unreported()
        assert sample.usage_kw == 42.0
    with sqlite3.connect(db_path) as conn:
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "telemetry_unreported" in indexes


def test_a_v3_database_is_adopted_by_the_first_vens_name(db_path, clock):
    """A single-VEN v3 file (JSON setpoints and baselines) is upgraded; the first VEN claiming it owns it."""
    backend = SqliteBackend(str(db_path))
    at = "2025-01-15T17:00:00.000000+00:00"
    with backend.transaction() as conn:
        apply_migrations(backend, conn, 0, at, target=3)
        conn.execute(
            """INSERT INTO registration VALUES (1, 'ven-7', 'reg-7', 'VTN', 10.0, :at)""", {"at": at}
        )
        conn.execute(
            """INSERT INTO dispatch (event_id, interval_index, decided_at, policy, requested_kw, planned_kw,
                 setpoints) VALUES ('e1', 0, :at, 'optimal', 50.0, 48.0, '{"ev2": -7.25, "ev1": 11.0}')""",
            {"at": at},
        )
        conn.execute(
            """INSERT INTO event_baselines
               VALUES ('e1', :at, '["ev1", "ev2"]', '[[11.0, 5.5], [7.0, 0.0]]', :at)""",
            {"at": at},
        )
        conn.execute(
            "INSERT INTO telemetry (ts, resource, usage_kw, reported) VALUES (:at, 'fleet', 30.0, 0)",
            {"at": at},
        )
    backend.close()
    with Store.open(db_path, clock=clock, ven_name="district-a") as store:
        assert store.registration.load() is None  # not adopted before the name is claimed
        store.claim()
        registration = store.registration.load()
        assert registration is not None
        assert registration.ven_id == "ven-7"
        [decision] = store.dispatch.for_event("e1")
        assert decision.setpoints_kw == {"ev1": 11.0, "ev2": -7.25}
        assert (decision.requested_kw, decision.planned_kw) == (50.0, 48.0)
        baseline = store.baselines.get("e1")
        assert baseline is not None
        assert baseline.ev_ids == ("ev1", "ev2")
        assert baseline.baseline_kw.tolist() == [[11.0, 5.5], [7.0, 0.0]]
        assert store.telemetry.count_unreported() == 1
    with Store.open(db_path, clock=clock, ven_name="district-b") as other:
        other.claim()
        assert other.registration.load() is None
        assert other.dispatch.for_event("e1") == []


def test_reopening_applies_nothing_twice(db_path, clock):
    """Opening an up-to-date database is a no-op for the schema."""
    Store.open(db_path, clock=clock).close()
    Store.open(db_path, clock=clock).close()
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == LATEST_VERSION


def test_a_newer_database_is_refused(db_path, clock):
    """A database from a newer v2x-ven is refused with a message naming both versions, and left untouched."""
    Store.open(db_path, clock=clock).close()
    with sqlite3.connect(db_path) as conn:
        conn.execute("INSERT INTO schema_version VALUES (99, 'from the future', 'x')")
    with pytest.raises(SchemaTooNewError, match=rf"schema version 99 .* supports \({LATEST_VERSION}\)"):
        Store.open(db_path, clock=clock)
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == 99


def test_a_foreign_database_is_refused(db_path, clock):
    """An SQLite file with other tables and no schema_version is not touched."""
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER)")
    with pytest.raises(NotAVenDatabaseError, match="not a v2x-ven"):
        Store.open(db_path, clock=clock)
    assert tables(db_path) == {"customers"}


def test_a_file_that_is_not_a_database_is_refused(db_path, clock):
    """Garbage in the file gives a StorageError naming the path."""
    db_path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError, match=str(db_path)):
        Store.open(db_path, clock=clock)


def test_in_memory_store_works(clock):
    """sqlite:///:memory: gives a working, migrated, throwaway store."""
    with Store.open("sqlite:///:memory:", clock=clock) as store:
        assert store.schema_version == LATEST_VERSION
        assert store.registration.load() is None
