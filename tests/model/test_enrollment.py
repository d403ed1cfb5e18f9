"""Fleet enrollment: files load with contract defaults; bad ones are refused naming file, line, column."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ven.errors import FleetFileError
from ven.model.enrollment import load_fleet

HEADER = "ev_id,site,capacity_kwh,soc,max_charge_kw"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fleet.csv"
    path.write_text(text)
    return path


def refused(tmp_path: Path, text: str) -> FleetFileError:
    path = write(tmp_path, text)
    with pytest.raises(FleetFileError) as caught:
        load_fleet(path)
    assert str(path) in str(caught.value)
    return caught.value


def test_minimal_file_gets_contract_defaults(tmp_path):
    """Only the required columns: every optional column takes its CONTRACT.md default."""
    fleet = load_fleet(write(tmp_path, f"{HEADER}\nbus1,depot,226,0.5,60\n"))
    ev = fleet.evs[0]
    assert (ev.max_discharge_kw, ev.min_soc, ev.target_soc, ev.departure) == (0.0, 0.2, 1.0, None)
    assert (ev.departure_soc, ev.efficiency, ev.plugged_in, ev.priority) == (0.8, 0.92, True, 0)
    assert ev.charger_id == "bus1"


def test_full_row_is_parsed_with_types(tmp_path):
    """Every column of the contract is read into its type; departure becomes an aware UTC time."""
    text = (
        "ev_id,site,capacity_kwh,soc,max_charge_kw,max_discharge_kw,min_soc,target_soc,departure,"
        "departure_soc,efficiency,plugged_in,priority,charger_id\n"
        "car,home,75,0.4,11.5,11.5,0.3,0.9,2026-07-15T07:00:00-04:00,0.85,0.9,false,2,cp-7\n"
    )
    ev = load_fleet(write(tmp_path, text)).evs[0]
    assert ev.departure == datetime(2026, 7, 15, 11, 0, tzinfo=UTC)
    assert (ev.plugged_in, ev.priority, ev.charger_id, ev.max_discharge_kw) == (False, 2, "cp-7", 11.5)


def test_fleet_columns_are_read_only(tmp_path):
    """Policies get frozen snapshots: the numpy columns refuse writes."""
    fleet = load_fleet(write(tmp_path, f"{HEADER}\nbus1,depot,226,0.5,60\n"))
    with pytest.raises(ValueError, match="read-only"):
        fleet.soc[0] = 0.9


def test_missing_required_column(tmp_path):
    """A header without max_charge_kw names the column and line 1."""
    error = refused(tmp_path, "ev_id,site,capacity_kwh,soc\nbus1,depot,226,0.5\n")
    assert (error.line, error.column) == (1, "max_charge_kw")


def test_non_numeric_value(tmp_path):
    """'lots' in capacity_kwh on the third line is named with line and column."""
    error = refused(tmp_path, f"{HEADER}\nbus1,depot,226,0.5,60\nbus2,depot,lots,0.5,60\n")
    assert (error.line, error.column) == (3, "capacity_kwh")
    assert "not a number" in str(error)


def test_soc_outside_zero_to_one(tmp_path):
    """SOC is a fraction: 55 (a percentage) is refused."""
    error = refused(tmp_path, f"{HEADER}\nbus1,depot,226,55,60\n")
    assert (error.line, error.column) == (2, "soc")
    assert "between 0 and 1" in str(error)


def test_min_soc_above_departure_soc(tmp_path):
    """A reserve above the departure need is contradictory."""
    error = refused(tmp_path, f"{HEADER},min_soc,departure_soc\nbus1,depot,226,0.5,60,0.9,0.8\n")
    assert (error.line, error.column) == (2, "min_soc")


@pytest.mark.parametrize("column", ["max_charge_kw", "max_discharge_kw"])
def test_negative_power(tmp_path, column):
    """Power limits are magnitudes and may not be negative."""
    text = f"{HEADER},max_discharge_kw\nbus1,depot,226,0.5,60,10\n".replace("60,10", "-60,10")
    if column == "max_discharge_kw":
        text = f"{HEADER},max_discharge_kw\nbus1,depot,226,0.5,60,-10\n"
    error = refused(tmp_path, text)
    assert (error.line, error.column) == (2, column)


def test_duplicate_ev_id(tmp_path):
    """The second bus1 is refused and the first occurrence is pointed to."""
    error = refused(
        tmp_path, f"{HEADER}\nbus1,depot,226,0.5,60\nbus2,depot,226,0.5,60\nbus1,depot,226,0.5,60\n"
    )
    assert (error.line, error.column) == (4, "ev_id")
    assert "line 2" in str(error)


@pytest.mark.parametrize("value", ["tomorrow", "2026-07-15T07:00:00", "2026-13-40T07:00:00Z"])
def test_unparseable_or_naive_departure(tmp_path, value):
    """Departure must be ISO 8601 with a UTC offset."""
    error = refused(tmp_path, f"{HEADER},departure\nbus1,depot,226,0.5,60,{value}\n")
    assert (error.line, error.column) == (2, "departure")


def test_wrong_field_count_and_empty_file(tmp_path):
    """A short row and an empty file are both refused with a location."""
    assert refused(tmp_path, f"{HEADER}\nbus1,depot,226\n").line == 2
    assert refused(tmp_path, "").line == 1
    assert "no EVs" in str(refused(tmp_path, f"{HEADER}\n"))


def test_unknown_column_and_bad_boolean(tmp_path):
    """Typos in the header and in plugged_in are caught, not ignored."""
    assert refused(tmp_path, f"{HEADER},plugedin\nbus1,depot,226,0.5,60,true\n").column == "plugedin"
    assert refused(tmp_path, f"{HEADER},plugged_in\nbus1,depot,226,0.5,60,maybe\n").column == "plugged_in"


def test_missing_file():
    """A path that does not exist is a FleetFileError too, not a traceback."""
    with pytest.raises(FleetFileError, match="file not found"):
        load_fleet("/nonexistent/fleet.csv")
