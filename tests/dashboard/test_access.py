"""Who may read the dashboards: a token off loopback; on loopback no DNS rebinding, no cross-site writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runtime.conftest import write_config
from ven.errors import InputError
from ven.http.auth import is_loopback
from ven.runtime.app import VenApp
from ven.runtime.config import load_config

from .conftest import Stack

TOKEN = "ven-token-0123456789"


def test_http_beyond_loopback_needs_a_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A VEN whose [http] listen is not loopback is refused at build without a token; the env var or
    [http] token_file gives one; loopback needs none."""
    monkeypatch.delenv("VEN_HTTP_TOKEN", raising=False)
    exposed = write_config(
        tmp_path, "http://127.0.0.1:1/OpenADR2/Simple/2.0b", http='listen = "0.0.0.0:9100"'
    )
    with pytest.raises(InputError, match=r"http.listen on 0.0.0.0 needs a bearer token: set VEN_HTTP_TOKEN"):
        VenApp.build(load_config(exposed))
    (tmp_path / "token").write_text(TOKEN + "\n")
    with_file = write_config(
        tmp_path,
        "http://127.0.0.1:1/OpenADR2/Simple/2.0b",
        http='listen = "0.0.0.0:9100"\ntoken_file = "token"',
    )
    app = VenApp.build(load_config(with_file))
    assert app.http_token == TOKEN
    app.store.close()
    monkeypatch.setenv("VEN_HTTP_TOKEN", "from-env")
    app = VenApp.build(load_config(exposed))
    assert app.http_token == "from-env"
    app.store.close()
    monkeypatch.delenv("VEN_HTTP_TOKEN")
    local = write_config(tmp_path, "http://127.0.0.1:1/OpenADR2/Simple/2.0b", http='listen = "127.0.0.1:0"')
    app = VenApp.build(load_config(local))
    assert app.http_token is None
    app.store.close()


def test_loopback_names() -> None:
    """Loopback means this machine only: 127/8, ::1 (bracketed or not), localhost."""
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.3.2.1", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "10.0.0.1", "example.com", "", "localhost.evil.com"))  # noqa: S104


async def test_with_a_token_data_needs_it_and_the_page_does_not(start_stack, monkeypatch) -> None:
    """With a token, /status, /metrics, /api/dashboard and /api/stream answer 401 without it (or with a wrong
    one) and 200 with it; the page and its files (no data) load without it."""
    monkeypatch.setenv("VEN_HTTP_TOKEN", TOKEN)
    stack: Stack = await start_stack()
    base = stack.ven_url
    for path in ("status", "metrics", "api/dashboard", "api/stream"):
        async with stack.session.get(base + path) as response:
            assert response.status == 401, path
            assert response.headers["WWW-Authenticate"] == "Bearer"
        async with stack.session.get(base + path, headers={"Authorization": "Bearer wrong"}) as response:
            assert response.status == 401, path
    for path in ("status", "metrics", "api/dashboard"):
        async with stack.session.get(base + path, headers={"Authorization": f"Bearer {TOKEN}"}) as response:
            assert response.status == 200, path
    for path in ("", "static/ven.js", "static/common.js", "static/chart.js", "static/style.css"):
        async with stack.session.get(base + path) as response:
            assert response.status == 200, path


async def test_without_a_token_only_loopback_host_names_are_served(start_stack) -> None:
    """On loopback without a token, a request naming another host (DNS rebinding) is refused on both
    servers; loopback names are served."""
    stack: Stack = await start_stack()
    for base in (stack.ven_url, stack.vtn_url):
        port = base.rstrip("/").rpartition(":")[2]
        async with stack.session.get(
            base + "api/stream", headers={"Host": f"attacker.example:{port}"}
        ) as response:
            assert response.status == 403
        for host in (f"localhost:{port}", f"127.0.0.1:{port}"):
            async with stack.session.get(base, headers={"Host": host}) as response:
                assert response.status == 200


async def test_vtn_admin_refuses_cross_site_writes(start_stack) -> None:
    """A write from a page of another origin (CSRF) is refused; the dashboard's own origin and clients
    that send no Origin (the CLI, scripts) may write."""
    stack: Stack = await start_stack()
    origin = stack.vtn_url.rstrip("/")
    body = {
        "ven": "dash-ven",
        "signal": "LOAD_DISPATCH",
        "start": "+5m",
        "intervals": [{"duration": "5m", "value": -1}],
    }
    url = f"{stack.vtn.admin_url}/events"
    async with stack.session.post(url, json=body, headers={"Origin": "http://attacker.example"}) as response:
        assert response.status == 403
    assert await stack.get(url) == []
    async with stack.session.post(url, json=body, headers={"Origin": origin}) as response:
        assert response.status == 201
    async with stack.session.post(url, json=body) as response:
        assert response.status == 201
    assert len(await stack.get(url)) == 2
