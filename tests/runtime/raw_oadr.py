"""Hand-written OpenADR 2.0b oadrDistributeEvent payloads (schema-valid XML text, no openleadr involved)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class RawEvent:
    event_id: str
    start: datetime
    values: tuple[float, ...]
    signal_name: str = "LOAD_DISPATCH"
    signal_type: str = "delta"
    priority: int = 0
    modification_number: int = 0
    seconds: int = 2  # each interval
    ven_id: str = "ven-1"


def _time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _interval(uid: int, start: datetime, seconds: int, value: float) -> str:
    return (
        "<ei:interval><xcal:dtstart><xcal:date-time>"
        f"{_time(start)}</xcal:date-time></xcal:dtstart><xcal:duration><xcal:duration>PT{seconds}S"
        "</xcal:duration></xcal:duration>"
        f'<uid xmlns="urn:ietf:params:xml:ns:icalendar-2.0"><text>{uid}</text></uid>'
        f"<ei:signalPayload><ei:payloadFloat><ei:value>{value}</ei:value></ei:payloadFloat>"
        "</ei:signalPayload></ei:interval>"
    )


def _event(event: RawEvent) -> str:
    step = timedelta(seconds=event.seconds)
    intervals = "".join(
        _interval(k, event.start + k * step, event.seconds, v) for k, v in enumerate(event.values)
    )
    return (
        "<oadr:oadrEvent><ei:eiEvent><ei:eventDescriptor>"
        f"<ei:eventID>{escape(event.event_id)}</ei:eventID>"
        f"<ei:modificationNumber>{event.modification_number}</ei:modificationNumber>"
        f"<ei:priority>{event.priority}</ei:priority>"
        '<ei:eiMarketContext><marketContext xmlns="http://docs.oasis-open.org/ns/emix/2011/06">'
        "oadr://raw.test</marketContext></ei:eiMarketContext>"
        f"<ei:createdDateTime>{_time(event.start - timedelta(minutes=1))}</ei:createdDateTime>"
        "<ei:eventStatus>far</ei:eventStatus><ei:testEvent>false</ei:testEvent>"
        "</ei:eventDescriptor><ei:eiActivePeriod>"
        '<properties xmlns="urn:ietf:params:xml:ns:icalendar-2.0">'
        f"<dtstart><date-time>{_time(event.start)}</date-time></dtstart>"
        f"<duration><duration>PT{event.seconds * len(event.values)}S</duration></duration></properties>"
        '<components xmlns="urn:ietf:params:xml:ns:icalendar-2.0" /></ei:eiActivePeriod>'
        "<ei:eiEventSignals><ei:eiEventSignal>"
        '<strm:intervals xmlns:strm="urn:ietf:params:xml:ns:icalendar-2.0:stream" '
        'xmlns:xcal="urn:ietf:params:xml:ns:icalendar-2.0">'
        f"{intervals}</strm:intervals>"
        f"<ei:signalName>{escape(event.signal_name)}</ei:signalName>"
        f"<ei:signalType>{escape(event.signal_type)}</ei:signalType>"
        f"<ei:signalID>{escape(event.event_id)}-signal</ei:signalID>"
        "</ei:eiEventSignal></ei:eiEventSignals>"
        f"<ei:eiTarget><ei:venID>{escape(event.ven_id)}</ei:venID></ei:eiTarget>"
        "</ei:eiEvent><oadr:oadrResponseRequired>always</oadr:oadrResponseRequired></oadr:oadrEvent>"
    )


def distribute_event(*events: RawEvent, request_id: str = "raw-1", vtn_id: str = "VTN") -> bytes:
    """One oadrDistributeEvent listing `events` (the VTN's complete list for the VEN)."""
    body = "".join(_event(e) for e in events)
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<oadr:oadrPayload xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07">'
        '<oadr:oadrSignedObject xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07" oadr:Id="oadrSignedObject">'
        '<oadr:oadrDistributeEvent ei:schemaVersion="2.0b" '
        'xmlns:ei="http://docs.oasis-open.org/ns/energyinterop/201110">'
        "<ei:eiResponse><ei:responseCode>200</ei:responseCode><ei:responseDescription>OK"
        "</ei:responseDescription>"
        f'<requestID xmlns="http://docs.oasis-open.org/ns/energyinterop/201110/payloads">{request_id}</requestID>'
        "</ei:eiResponse>"
        f'<requestID xmlns="http://docs.oasis-open.org/ns/energyinterop/201110/payloads">{request_id}</requestID>'
        f"<ei:vtnID>{vtn_id}</ei:vtnID>{body}</oadr:oadrDistributeEvent></oadr:oadrSignedObject>"
        "</oadr:oadrPayload>"
    ).encode()
