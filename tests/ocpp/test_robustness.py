"""Malformed OCPP-J frames get CallErrors, never crash the CSMS, and the connection keeps serving."""

from __future__ import annotations

import json

import pytest
from ocpp.exceptions import NotImplementedError as OcppNotImplementedError
from ocpp.v21 import call as call21
from websockets.asyncio.client import connect

from tests.ocpp.conftest import later, make_fleet
from ven.chargers.ocpp import OcppVersion

NOW = "2030-01-01T00:00:00Z"
STATUS = {"timestamp": NOW, "connectorStatus": "Occupied", "evseId": 1, "connectorId": 1}

# (frame sent, message id expected back, CallError code expected)
BAD_FRAMES = [
    ("not json {", "-1", "FormatViolation"),
    (b"\xff\xfe\x00", "-1", "FormatViolation"),
    ('{"a": 1}', "-1", "ProtocolError"),
    ("[]", "-1", "RpcFrameworkError"),
    ('[2, "short"]', "short", "RpcFrameworkError"),
    ('[7, "m7", "Heartbeat", {}]', "m7", "MessageTypeNotSupported"),
    ("[2, 5, {}, {}]", "-1", "ProtocolError"),
    ('[2, "u1", "NoSuchAction", {}]', "u1", "NotSupported"),
    ('[2, "u2", "Authorize", {"idToken": {"idToken": "x", "type": "Central"}}]', "u2", "NotImplemented"),
    ('[2, "u3", "Heartbeat", "not an object"]', "u3", "TypeConstraintViolation"),
    (
        json.dumps([2, "u4", "StatusNotification", {**STATUS, "evseId": "one"}]),
        "u4",
        "TypeConstraintViolation",
    ),
    (json.dumps([2, "u5", "StatusNotification", {**STATUS, "extra": 1}]), "u5", "FormatViolation"),
    (
        json.dumps([2, "u6", "StatusNotification", {**STATUS, "connectorStatus": "Melting"}]),
        "u6",
        "FormatViolation",
    ),
    ('[2, "u7", "BootNotification", {"reason": "PowerUp"}]', "u7", "ProtocolError"),
]


@pytest.mark.parametrize("version", list(OcppVersion))
async def test_malformed_frames_get_call_errors_and_the_csms_keeps_serving(csms_factory, version):
    """Each bad frame is answered with the right CallError; afterwards the station is still served."""
    fleet = make_fleet("a", "b")
    csms = await csms_factory(fleet)
    async with connect(f"{csms.url}/a", subprotocols=[version.value]) as ws:  # type: ignore[list-item]
        for frame, message_id, code in BAD_FRAMES:
            await ws.send(frame)
            answer = json.loads(await ws.recv())
            assert answer[:3] == [4, message_id, code], frame
        await ws.send('[3, "nobody-asked", {}]')  # a stray reply gets no reply
        await ws.send(json.dumps([2, "hb", "Heartbeat", {}]))
        answer = json.loads(await ws.recv())
        assert answer[0] == 3
        assert answer[1] == "hb"
        assert "currentTime" in answer[2]
        await ws.send(json.dumps([2, "st", "StatusNotification", {**STATUS, "connectorStatus": "Faulted"}]))
        assert json.loads(await ws.recv()) == [3, "st", {}]
    assert "fault" in csms.kinds("a")
    await csms.station(fleet.evs[1])  # a well-behaved station is served as usual
    assert (await csms.gateway.apply({"b": 1.0}, valid_until=later())).ok


async def test_station_answers_calls_it_has_no_handler_for(csms_factory):
    """The simulator answers an unhandled 2.1 call with NotImplemented (ocpp 2.1.0 would stay silent)."""
    fleet = make_fleet("a")
    csms = await csms_factory(fleet, call_timeout_s=2.0)
    await csms.station(fleet.evs[0])
    charge_point = csms.gateway._sessions["a"].charge_point
    with pytest.raises(OcppNotImplementedError):
        await charge_point.call(call21.Reset(type="Immediate"), suppress=False)
