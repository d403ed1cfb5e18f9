"""`[ven] protocol` and `[oauth]` in ven.toml: defaults, the token URL, and one line + exit 2 when bad."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runtime.conftest import write_config
from ven.cli.main import main
from ven.runtime.config import load_config

BASE = "http://127.0.0.1:8080/openadr3/3.1.0"


def test_protocol_defaults_to_openadr2b(tmp_path: Path):
    """Without `protocol` the VEN speaks 2.0b and needs no [oauth]."""
    config = load_config(write_config(tmp_path, "http://127.0.0.1:8080/OpenADR2/Simple/2.0b"))
    assert config.ven.protocol == "openadr2b"
    assert config.oauth is None


def test_openadr3_token_url_defaults_to_the_vtn(tmp_path: Path):
    """token_url defaults to <vtn_url>/auth/token; given, it wins."""
    ven = f'name = "n"\nvtn_url = "{BASE}/"\nprotocol = "openadr3"'
    config = load_config(write_config(tmp_path, BASE, ven=ven, oauth='client_id = "a"\nclient_secret = "b"'))
    assert config.token_url == f"{BASE}/auth/token"
    given = 'client_id = "a"\nclient_secret = "b"\ntoken_url = "https://idp.example/token"'
    assert (
        load_config(write_config(tmp_path, BASE, ven=ven, oauth=given)).token_url
        == "https://idp.example/token"
    )


@pytest.mark.parametrize(
    ("sections", "says"),
    [
        ({"ven": f'name = "n"\nvtn_url = "{BASE}"\nprotocol = "openadr3"'}, "[oauth]"),
        ({"ven": f'name = "n"\nvtn_url = "{BASE}"\nprotocol = "openadr4"'}, "ven.protocol"),
        (
            {
                "ven": f'name = "n"\nvtn_url = "{BASE}"\nprotocol = "openadr3"',
                "oauth": 'client_id = "a"',
            },
            "oauth.client_secret",
        ),
        (
            {
                "ven": f'name = "n"\nvtn_url = "{BASE}"\nprotocol = "openadr3"',
                "oauth": 'client_id = "a"\nclient_secret = "b"',
                "security": 'ca_file = "missing-ca.crt"',
            },
            "security",
        ),
        (
            {
                "ven": f'name = "{"n" * 129}"\nvtn_url = "{BASE}"\nprotocol = "openadr3"',
                "oauth": 'client_id = "a"\nclient_secret = "b"',
            },
            "128",
        ),
    ],
)
def test_bad_protocol_settings_exit_2_with_one_line(
    tmp_path: Path, capsys, sections: dict[str, str], says: str
):
    """No [oauth] for 3.1, an unknown protocol, a missing secret, an unreadable CA file: `ven run` says so in
    one line, exit 2."""
    path = write_config(tmp_path, BASE, **sections)
    assert main(["run", "--config", str(path)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("ven: error: ")
    assert says in lines[0]
