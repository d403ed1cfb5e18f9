"""`[chargers] setpoint_ttl`: how long a charger keeps a setpoint; two control periods unless set."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.runtime.conftest import write_config
from ven.cli.main import main
from ven.runtime.config import load_config

NO_VTN = "http://127.0.0.1:1/OpenADR2/Simple/2.0b"
EXIT_BAD_INPUT = 2


def config_with(tmp_path: Path, chargers: str, period: str = "10s") -> Path:
    dispatch = f'policy = "optimal"\ncontrol_period = "{period}"'
    return write_config(tmp_path, NO_VTN, chargers=chargers, dispatch=dispatch)


def test_the_default_is_two_control_periods(tmp_path):
    """Unset, a setpoint lasts two control periods (CONTRACT.md: at most two)."""
    config = load_config(config_with(tmp_path, "time_scale = 1.0"))
    assert config.chargers.setpoint_ttl is None
    assert config.setpoint_ttl == timedelta(seconds=20)


def test_an_explicit_ttl_is_used(tmp_path):
    """A TTL given in ven.toml is the one the VEN sends setpoints with."""
    config = load_config(config_with(tmp_path, 'setpoint_ttl = "15s"'))
    assert config.setpoint_ttl == timedelta(seconds=15)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"5s"', "chargers.setpoint_ttl: must be at least dispatch.control_period (10 s), not 5 s"),
        ('"0s"', "chargers.setpoint_ttl: Value error, must be longer than zero"),
        ('"soon"', "chargers.setpoint_ttl"),
    ],
)
def test_a_ttl_shorter_than_a_control_period_is_bad_input(tmp_path, capsys, value, expected):
    """Setpoints that lapse before the next step would undo every dispatch: exit 2, one line, the field."""
    config = config_with(tmp_path, f"setpoint_ttl = {value}")
    assert main(["run", "--config", str(config)]) == EXIT_BAD_INPUT
    message = capsys.readouterr().err.strip()
    assert message.startswith(f"ven: error: {config}")
    assert expected in message
    assert "\n" not in message
