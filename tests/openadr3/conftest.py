"""Fixtures: the mock VTN's 3.1 API over loopback (with its admin API, on one core and a manual clock), every
response checked against openadr3.yaml."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tests.openadr3.scripted_vtn import Script, fake_vtn
from tests.openadr3.spec import SpecChecker, require_spec
from ven.clock import ManualClock
from vtn_mock.admin.app import build_admin_app
from vtn_mock.core import Enrollment, VtnCore
from vtn_mock.openadr3.app import PREFIX, build_openadr3_app
from vtn_mock.openadr3.auth import DEFAULT_CLIENTS, OAuthClient, Role
from vtn_mock.openadr3.service import Service
from vtn_mock.store import Store

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
MAX_BODY_BYTES = 500_000
CLIENTS = [OAuthClient(i, s, Role(r)) for i, s, r in DEFAULT_CLIENTS] + [
    OAuthClient("ven2", "ven2-secret", Role.VEN)
]


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class Api:
    """A 3.1 client for tests: tokens by client id, every answer validated against the specification."""

    def __init__(self, client: TestClient, checker: SpecChecker) -> None:
        self.client = client
        self.checker = checker
        self.tokens: dict[str, str] = {}
        self.calls = 0

    def checker_url(self, path: str) -> str:
        return str(self.client.make_url(PREFIX + path))

    async def token(self, client_id: str) -> str:
        if client_id not in self.tokens:
            secret = next(c.secret for c in CLIENTS if c.client_id == client_id)
            reply = await self.form(
                "/auth/token",
                {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
            )
            assert reply.status == 200, reply.body
            self.tokens[client_id] = reply.body["access_token"]
        return self.tokens[client_id]

    async def form(self, path: str, data: dict[str, str], headers: dict[str, str] | None = None) -> Reply:
        encoded = "&".join(f"{k}={v}" for k, v in data.items()).encode()
        return await self.raw(
            "POST", path, encoded, "application/x-www-form-urlencoded", headers=headers or {}
        )

    async def call(
        self, method: str, path: str, as_: str | None = "ven", body: Any = None, params: Any = None
    ) -> Reply:
        headers = {"Authorization": f"Bearer {await self.token(as_)}"} if as_ else {}
        data = json.dumps(body).encode() if body is not None else None
        return await self.raw(method, path, data, "application/json", headers=headers, params=params)

    async def raw(
        self,
        method: str,
        path: str,
        data: bytes | None,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        params: Any = None,
    ) -> Reply:
        sent = {**(headers or {}), "Content-Type": content_type} if data is not None else headers or {}
        async with self.client.request(method, PREFIX + path, data=data, headers=sent, params=params) as resp:
            self.calls += 1
            raw = await resp.read()
            url = str(resp.url)
            checked = (method, url, resp.status, raw, resp.content_type)
            self.checker.check(*checked, request_body=data, request_type=content_type)
            body = json.loads(raw) if raw else None
            return Reply(resp.status, body, dict(resp.headers))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def core(tmp_path: Path, clock: ManualClock) -> VtnCore:
    counter = itertools.count(1)
    return VtnCore(
        Store(tmp_path / "vtn.sqlite"), clock, lambda prefix: f"{prefix}-{next(counter)}", Enrollment()
    )


@pytest.fixture
async def service(core: VtnCore) -> AsyncIterator[Service]:
    counter = itertools.count(1)
    svc = Service(core, CLIENTS, lambda prefix: f"{prefix}3-{next(counter)}", timedelta(seconds=10))
    yield svc
    await svc.close()


@pytest.fixture
async def api(aiohttp_client: Any, service: Service) -> AsyncIterator[Api]:
    require_spec()
    root = web.Application(client_max_size=MAX_BODY_BYTES)  # as the OpenADR port's max_body_bytes
    root.add_subapp(PREFIX, build_openadr3_app(service))
    client = await aiohttp_client(root)
    tester = Api(client, SpecChecker(str(client.make_url(PREFIX))))
    yield tester
    assert tester.checker.checked >= tester.calls > 0  # every answer was checked against the spec


@pytest.fixture
async def admin(aiohttp_client: Any, core: VtnCore) -> TestClient:
    return await aiohttp_client(build_admin_app(core, None))


async def register(api: Api, client_id: str = "ven", name: str = "fleet-a") -> dict[str, Any]:
    reply = await api.call("POST", "/vens", client_id, {"objectType": "VEN_VEN_REQUEST", "venName": name})
    assert reply.status == 201, reply.body
    return dict(reply.body)


async def admin_event(admin: TestClient, **fields: Any) -> str:
    body = {
        "ven": "fleet-a",
        "signal": "LOAD_DISPATCH",
        "type": "delta",
        "start": "+5m",
        "intervals": [{"duration": "PT15M", "value": -500}, {"duration": "PT15M", "value": -300}],
    } | fields
    resp = await admin.post("/api/events", json=body)
    assert resp.status == 201, await resp.text()
    return str((await resp.json())["event_id"])


@pytest.fixture
async def served() -> AsyncIterator[tuple[Script, str]]:
    """The scripted VTN (tests.openadr3.scripted_vtn) serving on 127.0.0.1: (its script, its base URL)."""
    script = Script()
    server = TestServer(fake_vtn(script), host="127.0.0.1")
    await server.start_server()
    yield script, str(server.make_url(""))
    await server.close()
