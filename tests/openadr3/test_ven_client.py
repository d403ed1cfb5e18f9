"""ven.openadr3.client against a scripted VTN on 127.0.0.1: tokens (fetched, renewed before expiry and once
on 401), typed errors for every refusal, paging, registration, no secret in logs."""

from __future__ import annotations

import json
import logging

import pytest

from tests.openadr3.scripted_vtn import Monotonic, client_for, meta
from ven.openadr3.client import (
    AuthRefusedError,
    Exchange,
    VtnAnswerError,
    VtnHttpError,
    VtnUnreachableError,
)


async def test_token_fetched_once_then_renewed_before_expiry(served):
    """One token serves until a minute before it expires; then a new one is fetched first."""
    script, base = served
    clock = Monotonic()
    client = client_for(base, monotonic=clock)
    try:
        await client.call("GET", "/events")
        await client.call("GET", "/events")
        assert script.tokens_issued == 1
        clock.now_s += 3600 - 59
        await client.call("GET", "/events")
        assert script.tokens_issued == 2
        assert script.log[-1] == ("GET", "/events", "t2")
    finally:
        await client.close()


async def test_401_renews_the_token_once(served):
    """A VTN that forgot our token (restarted) answers 401: a new token, the request once more."""
    script, base = served
    client = client_for(base)
    try:
        await client.call("GET", "/events")
        script.expire_tokens.add("t1")
        assert await client.call("GET", "/events") == []
        assert script.tokens_issued == 2
        script.expire_tokens.add("t2")
        script.refuse_token = True
        with pytest.raises(AuthRefusedError) as refused:
            await client.call("GET", "/events")
        assert refused.value.status == 401
    finally:
        await client.close()


async def test_refusals_are_typed_errors(served):
    """Wrong credentials, an unknown path, a non-JSON, oversized or absurdly nested answer, a closed port and
    endless paging are each a typed error."""
    _, base = served
    wrong = client_for(base, secret="nope")
    client = client_for(base)
    nowhere = client_for("http://127.0.0.1:9")
    try:
        with pytest.raises(AuthRefusedError, match="invalid_client"):
            await wrong.call("GET", "/events")
        with pytest.raises(VtnHttpError) as missing:
            await client.call("GET", "/nothing")
        assert missing.value.status == 404
        with pytest.raises(VtnAnswerError):
            await client.call("GET", "/broken")
        with pytest.raises(VtnUnreachableError):
            await nowhere.call("GET", "/events")
        assert len(await client.call("GET", "/large")) == 1_000_000  # read whole, chunk after chunk
        with pytest.raises(VtnAnswerError, match="bytes"):
            await client.call("GET", "/huge")
        with pytest.raises(VtnAnswerError, match="not JSON"):
            await client.call("GET", "/deep")
        with pytest.raises(VtnAnswerError, match="more than"):
            await client._list("/endless")
    finally:
        for c in (wrong, client, nowhere):
            await c.close()


async def test_programs_are_read_page_by_page(served):
    """A search answers at most 50 objects: the client reads on until a short page."""
    _, base = served
    client = client_for(base)
    try:
        assert [p.program_name for p in await client.programs()] == [f"n{i}" for i in range(120)]
    finally:
        await client.close()


async def test_register_creates_ven_and_resources_once(served):
    """No ven of that name: POST /vens; a second registration finds it; one resource per site."""
    script, base = served
    client = client_for(base)
    try:
        ven = await client.register("north")
        again = await client.register("north")
        assert ven.id == again.id == "ven-1"
        assert len(script.vens) == 1
        assert await client.ensure_resources(ven.id, ("depot", "school")) == {
            "depot": "res-depot",
            "school": "res-school",
        }
    finally:
        await client.close()


def test_json_helper_is_json() -> None:
    """(The fake VTN answers real JSON.)"""
    assert json.loads(json.dumps(meta("VEN", "x")))["objectType"] == "VEN"


async def test_no_secret_or_token_in_logs_or_exchanges(served, caplog: pytest.LogCaptureFixture):
    """A session with 401s, refusals and reports, logged at DEBUG: neither the client secret nor a token
    appears in a log record or an exchange shown to observers."""
    script, base = served
    seen: list[Exchange] = []
    client = client_for(base)
    client.observer = seen.append
    caplog.set_level(logging.DEBUG)
    try:
        await client.call("GET", "/events")
        script.expire_tokens.add("t1")
        await client.call("GET", "/events")
        with pytest.raises(VtnHttpError):
            await client.call("GET", "/nothing")
    finally:
        await client.close()
    text = caplog.text + "".join(repr(e) for e in seen)
    assert seen
    for secret in ("s3cret", "t1", "t2"):
        assert secret not in text.replace("/events", "")
