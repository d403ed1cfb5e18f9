"""Every message ven.openadr.wire renders validates against the OpenADR 2.0b schema openleadr ships, and
reads back as what was put in, whatever text a user or a peer put in its fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openleadr.messaging import parse_message, validate_xml_schema

from ven.openadr import wire
from ven.security.signing import wrap

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
# Any text XML 1.0 can carry (no control characters, no surrogates), hostile markup included.
TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() == s and "  " not in s)
HOSTILE = ["R&D", "<depot>", "]]>", "a\"b'c", "Zürich-Süd", "&amp;"]


def checked(element: object) -> tuple[str, dict]:
    """Wrap, validate against the 2.0b XSD (raises if invalid) and parse back as openleadr does."""
    text = wrap(wire.serialize(element), None)  # type: ignore[arg-type]
    validate_xml_schema(text.encode())
    message_type, payload = parse_message(text.encode())
    return str(message_type), payload


@pytest.mark.parametrize("name", HOSTILE)
def test_create_opt_with_availability_validates(name: str) -> None:
    """oadrCreateOpt with vavailability components and a hostile resource id and market context."""
    opt = wire.OptMessage(
        "opt-1",
        "optOut",
        "x-schedule",
        "ven-1",
        "req-1",
        NOW,
        components=[(NOW, timedelta(hours=3)), (NOW + timedelta(days=1), timedelta(hours=3))],
        resource_ids=[name],
        market_context="oadr://utility.example/programme?a=1&b=2",
    )
    message_type, payload = checked(wire.create_opt(opt))
    assert message_type == "oadrCreateOpt"
    components = payload["vavailability"]["components"]["available"]
    assert [c["properties"]["dtstart"] for c in components] == [NOW, NOW + timedelta(days=1)]
    assert payload["targets"] == [{"resource_id": name}]
    assert payload["market_context"] == "oadr://utility.example/programme?a=1&b=2"


@given(event_id=TEXT, ven_id=TEXT)
@settings(max_examples=60, deadline=None)
def test_event_opt_validates_for_any_ids(event_id: str, ven_id: str) -> None:
    """An event-specific oadrCreateOpt and an oadrCancelOpt stay valid XML for any ids."""
    opt = wire.OptMessage(
        "o", "optOut", "overrideStatus", ven_id, "r", NOW, event_id=event_id, modification_number=3
    )
    _, payload = checked(wire.create_opt(opt))
    # openleadr's parser turns digit-only text into numbers: compare as text
    assert (str(payload["event_id"]), payload["modification_number"], str(payload["ven_id"])) == (
        event_id,
        3,
        ven_id,
    )
    _, cancelled = checked(wire.cancel_opt(event_id, ven_id, "r"))
    assert str(cancelled["opt_id"]) == event_id


@given(r_id=TEXT, resource=TEXT, request_id=TEXT)
@settings(max_examples=60, deadline=None)
def test_reports_validate_for_any_ids(r_id: str, resource: str, request_id: str) -> None:
    """oadrRegisterReport, oadrUpdateReport (float and status), oadrCreatedReport and oadrCanceledReport."""
    description = wire.Description(
        r_id, resource, "usage", "Direct Read", wire.POWER_KW, timedelta(seconds=10), timedelta(hours=1)
    )
    energy = wire.Description(
        f"{r_id}.e",
        resource,
        "x-energyAboveReserve",
        "Projected",
        wire.ENERGY_KWH,
        timedelta(minutes=15),
        timedelta(minutes=15),
    )
    offers = [
        wire.Offer("TELEMETRY_USAGE", "TELEMETRY_USAGE", timedelta(hours=1), [description]),
        wire.Offer("FLEXIBILITY_FORECAST", "x-FLEXIBILITY_FORECAST", timedelta(hours=24), [energy]),
    ]
    _, registered = checked(wire.register_report(offers, "ven-1", request_id, NOW))
    source = registered["reports"][0]["report_descriptions"][0]["report_data_source"]
    assert str(source["resource_id"]) == resource  # openleadr reads digit-only text as numbers
    assert registered["reports"][1]["report_name"] == "x-FLEXIBILITY_FORECAST"
    status = wire.Status(True, False, wire.LoadControl(3.5, -10.0, 7.0, 4.0))
    data = wire.ReportData(
        request_id,
        "TELEMETRY_STATUS",
        "TELEMETRY_STATUS",
        [wire.Interval(NOW, r_id, 1.25, timedelta(seconds=10)), wire.Interval(NOW, r_id, status)],
        NOW,
        "rep-1",
    )
    _, update = checked(wire.update_report([data], "ven-1", request_id))
    payloads = [i["report_payload"] for i in update["reports"][0]["intervals"]]
    assert (str(payloads[0]["r_id"]), payloads[0]["value"]) == (r_id, 1.25)
    assert payloads[1]["payload_resource_status"]["load_control_state"]["set_point"]["min"] == -10.0
    _, created = checked(wire.created_report(452, f"unknown {r_id}", request_id, [request_id], "ven-1"))
    assert created["response"]["response_code"] == 452
    _, canceled = checked(wire.canceled_report(200, "OK", request_id, [], "ven-1"))
    assert canceled["response"]["response_code"] == 200


def test_non_finite_values_never_reach_the_wire() -> None:
    """A NaN reading is refused, not rendered (xs:float would take 'NaN', the VTN could not use it)."""
    data = wire.ReportData(
        "rr", "TELEMETRY_USAGE", "TELEMETRY_USAGE", [wire.Interval(NOW, "x", float("nan"))], NOW, "r"
    )
    with pytest.raises(ValueError, match="non-finite"):
        wire.update_report([data], "v", "r")


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(0), "PT0S"),
        (timedelta(minutes=15), "PT15M"),
        (timedelta(days=2), "P2D"),
        (timedelta(hours=25), "P1DT1H"),
    ],
)
def test_durations(delta: timedelta, text: str) -> None:
    """RFC 5545 durations as the schema wants them."""
    assert wire.format_duration(delta) == text
