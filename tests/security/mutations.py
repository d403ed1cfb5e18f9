"""Hypothesis strategies that mutate a valid XML message: byte edits, hostile snippets, odd element values."""

from __future__ import annotations

import re

from hypothesis import strategies as st

SNIPPETS = (
    b'<!DOCTYPE a [<!ENTITY x "y">]>',
    b"&x;",
    b'<!ENTITY e SYSTEM "file:///etc/passwd">',
    b"<?php x ?>",
    b"\x00",
    b"\xff\xfe",
    b"]]>",
    b"<![CDATA[<a>]]>",
    b"<!-- c -->",
    b"<a>" * 40,
    b"</oadr:oadrPayload>",
    b"<oadr:oadrSignedObject>",
    b'xmlns:oadr="urn:x"',
    b"&#0;",
    b"&#x110000;",
    b"&amp;",
    b"\r\n\t",
    b'<?xml version="1.0" encoding="UTF-16"?>',
    b"&lt;!DOCTYPE&gt;",
)
VALUES = (
    b"",
    b"-1e309",
    b"1e309",
    b"NaN",
    b"-0",
    b"9" * 400,
    b"PT-5M",
    b"P99999999999D",
    b"PT0.5S",
    b"PT",
    b"2026-13-45T25:61:61Z",
    b"2026-07-01T16:00:00",
    b"2026-07-01T16:00:00+02:00",
    b"0001-01-01T00:00:00Z",
    b"9999-12-31T23:59:59Z",
    b"true",
    b"maybe",
    b"optIn",
    b"-",
    b"\xc3\xa9\xe2\x80\x8b",
    b"A" * 5000,
)
_TEXT = re.compile(rb">([^<]+)<")
# Same lexical type, odd value: these mostly stay schema-valid and reach the code behind the parser.
TYPED = (
    (
        re.compile(rb"^-?\d+\.\d+$"),
        (b"INF", b"-INF", b"NaN", b"-0.0", b"1e38", b"-1e38", b"0.0000001", b"1e-45"),
    ),
    (
        re.compile(rb"^-?\d+$"),
        (b"0", b"-1", b"2147483648", b"99999999999999999999", b"-99999999999999999999"),
    ),
    (
        re.compile(rb"^\d{4}-\d\d-\d\dT"),
        (
            b"0001-01-01T00:00:00Z",
            b"9999-12-31T23:59:59Z",
            b"2026-07-01T16:00:00",
            b"2026-07-01T16:00:00+14:00",
            b"2026-07-01T16:00:00.999999999Z",
            b"1970-01-01T00:00:00-12:00",
        ),
    ),
    (
        re.compile(rb"^-?P"),
        (b"PT0S", b"-PT15M", b"P9999Y", b"PT0.5S", b"P1Y2M3DT4H5M6.7S", b"PT99999999999S"),
    ),
    (re.compile(rb"^(true|false)$"), (b"true", b"false", b"1", b"0")),
    (
        re.compile(rb"."),
        (b"x" * 2000, b"\xc3\xa9\xe2\x80\x8b", b"  ", b"a b", b"%s%n", b"'; DROP TABLE x;--"),
    ),
)


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """`seed` after one to four random edits (or value edits that keep it mostly schema-valid)."""
    data = bytearray(seed)
    semantic = draw(st.booleans())  # half the time: only same-type value edits, to get past the schema
    for _ in range(draw(st.integers(1, 4))):
        operation = (
            "typed"
            if semantic
            else draw(
                st.sampled_from(["truncate", "insert", "replace", "delete", "duplicate", "value", "typed"])
            )
        )
        position = draw(st.integers(0, len(data)))
        if operation == "truncate":
            del data[position:]
        elif operation == "insert":
            data[position:position] = draw(st.one_of(st.sampled_from(SNIPPETS), st.binary(max_size=16)))
        elif operation == "replace":
            data[position : position + draw(st.integers(1, 8))] = draw(st.binary(min_size=1, max_size=8))
        elif operation == "delete":
            del data[position : position + draw(st.integers(1, 64))]
        elif operation == "duplicate":
            data[position:position] = data[position : position + draw(st.integers(1, 200))]
        else:
            texts = [m for m in _TEXT.finditer(bytes(data)) if m.group(1).strip()]
            if texts:
                match = draw(st.sampled_from(texts))
                data[match.start(1) : match.end(1)] = draw(
                    st.sampled_from(VALUES if operation == "value" else _typed(match.group(1).strip()))
                )
    return bytes(data)


def _typed(text: bytes) -> tuple[bytes, ...]:
    return next(values for pattern, values in TYPED if pattern.match(text))
