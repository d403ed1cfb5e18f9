"""Who may connect: subprotocol, enrolled charger id, basic auth (profile 1), TLS (profile 2)."""

from __future__ import annotations

import ssl

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError, InvalidStatus

from tests.ocpp.certs import make_tls_pair
from tests.ocpp.conftest import later, make_fleet
from ven.chargers.cpsim import SimStation, ev_spec
from ven.chargers.ocpp import OcppVersion


async def test_connection_without_ocpp2_subprotocol_is_closed(csms_factory):
    """A station offering only ocpp1.6 gets no subprotocol and is closed with 1002."""
    csms = await csms_factory(make_fleet("a"))
    async with connect(f"{csms.url}/a", subprotocols=["ocpp1.6"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol is None
        with pytest.raises(ConnectionClosedError) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1002


async def test_station_offering_both_versions_gets_21(csms_factory):
    """Offered both, the CSMS picks ocpp2.1."""
    csms = await csms_factory(make_fleet("a"))
    async with connect(f"{csms.url}/a", subprotocols=["ocpp2.0.1", "ocpp2.1"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "ocpp2.1"


async def test_unknown_charger_id_is_refused(csms_factory):
    """A charger id not in the fleet is refused before the upgrade (HTTP 404)."""
    csms = await csms_factory(make_fleet("a"))
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"{csms.url}/intruder", subprotocols=["ocpp2.1"]):  # type: ignore[list-item]
            pass
    assert refused.value.response.status_code == 404


async def test_basic_auth_refuses_a_wrong_password(csms_factory):
    """Security profile 1: per-charger passwords; a wrong or missing one gets HTTP 401."""
    fleet = make_fleet("a", "b")
    csms = await csms_factory(fleet, basic_auth={"a": "secret-a", "b": "secret-b"})
    for password in ("secret-b", None):
        station = SimStation("a", csms.url, OcppVersion.V21, ev_spec(fleet.evs[0]), password=password)
        with pytest.raises(InvalidStatus) as refused:
            await station.start()
        assert refused.value.response.status_code == 401
    good = await csms.station(fleet.evs[0], password="secret-a")
    assert (await csms.gateway.apply({"a": -1.0}, valid_until=later())).ok
    assert good.power_kw == -1.0


async def test_tls_connection_works(csms_factory, tmp_path):
    """Security profile 2: wss with a server certificate (and basic auth) carries dispatch."""
    server_context, client_context = make_tls_pair(tmp_path)
    fleet = make_fleet("a")
    csms = await csms_factory(fleet, ssl_context=server_context, basic_auth={"a": "pw"})
    assert csms.url.startswith("wss://")
    station = await csms.station(fleet.evs[0], password="pw", ssl_context=client_context)
    assert (await csms.gateway.apply({"a": -2.0}, valid_until=later())).ok
    assert station.power_kw == -2.0
    untrusting = SimStation(
        "a",
        csms.url,
        OcppVersion.V21,
        ev_spec(fleet.evs[0]),
        password="pw",
        ssl_context=ssl.create_default_context(),
    )
    with pytest.raises(ssl.SSLCertVerificationError):
        await untrusting.start()
