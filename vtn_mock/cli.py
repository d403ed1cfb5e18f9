"""`vtn-mock`: serve the mock VTN, or drive events at it through its admin API."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import aiohttp

from ven.errors import InputError
from ven.timeparse import coerce_duration
from vtn_mock.config import VtnConfig, load_config
from vtn_mock.openadr3.auth import OAuthClient, Role, parse_client
from vtn_mock.server import TOKEN_ENV, serve

DEFAULT_ADMIN_URL = "http://127.0.0.1:8081"


def _announce(line: str) -> None:
    print(line, flush=True)


def _serve_config(args: argparse.Namespace) -> VtnConfig:
    config = load_config(Path(args.config)) if args.config else VtnConfig()
    vtn, admin = config.vtn, config.admin
    try:
        poll = coerce_duration(args.poll_interval) if args.poll_interval else vtn.poll_interval
    except ValueError as err:
        raise InputError(f"--poll-interval: {err}") from None
    vtn = vtn.model_copy(
        update={
            k: v
            for k, v in {
                "host": args.host,
                "port": args.port,
                "database": args.db,
                "poll_interval": poll,
            }.items()
            if v is not None
        }
    )
    admin = admin.model_copy(
        update={k: v for k, v in {"host": args.admin_host, "port": args.admin_port}.items() if v is not None}
    )
    return config.model_copy(update={"vtn": vtn, "admin": admin})


def _oauth_clients(args: argparse.Namespace) -> list[OAuthClient]:
    out = []
    for flag, role, values in (
        ("--oauth-client", Role.VEN, args.oauth_client),
        ("--oauth-bl-client", Role.BL, args.oauth_bl_client),
    ):
        for text in values:
            try:
                out.append(parse_client(text, role))
            except ValueError as err:
                raise InputError(f"{flag}: {err}") from None
    return out


def _intervals(args: argparse.Namespace) -> list[dict[str, Any]] | None:
    if args.intervals:
        out = []
        for part in args.intervals.split(","):
            duration, sep, value = part.strip().partition(":")
            try:
                out.append({"duration": duration, "value": float(value)})
            except ValueError:
                raise InputError(f"--intervals: {part!r} is not DURATION:VALUE (e.g. 15m:-500)") from None
            if not sep:
                raise InputError(f"--intervals: {part!r} is not DURATION:VALUE (e.g. 15m:-500)")
        return out
    if args.duration is not None or args.value is not None:
        if args.duration is None or args.value is None:
            raise InputError("--duration and --value go together (or use --intervals 15m:-500,15m:-300)")
        return [{"duration": args.duration, "value": args.value}]
    return None


def _event_body(args: argparse.Namespace, creating: bool) -> dict[str, Any]:
    body: dict[str, Any] = {}
    fields = {
        "start": args.start,
        "response_required": args.response_required,
        "startafter": args.startafter,
        "ramp_up": args.ramp_up,
        "priority": args.priority,
        "market_context": args.market_context,
        "intervals": _intervals(args),
    }
    if creating:
        fields |= {
            "signal": args.signal,
            "type": args.type,
            "ven": args.ven or None,
            "test_event": args.test_event or None,
        }
        if fields["intervals"] is None:
            raise InputError(
                "give the intervals: --intervals 15m:-500,15m:-300 or --duration 15m --value -500"
            )
    body.update({k: v for k, v in fields.items() if v is not None})
    return body


async def _call(args: argparse.Namespace, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    headers = {}
    token = os.environ.get(TOKEN_ENV)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    url = args.admin_url.rstrip("/").removesuffix("/api") + path
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url, json=body, headers=headers) as resp,
    ):
        data = await resp.json(content_type=None)
        if resp.status == 422:
            first = data["detail"][0]
            where = ".".join(str(p) for p in first["loc"][1:])
            raise InputError(f"{where}: {first['msg']}")
        if resp.status >= 400:
            detail = data.get("detail") if isinstance(data, dict) else data
            raise RuntimeError(f"admin API answered {resp.status}: {detail}")
        return data


def _client(args: argparse.Namespace) -> int:
    action = getattr(args, "action", None) or args.command
    calls: dict[str, tuple[str, str, dict[str, Any] | None]] = {
        "create": ("POST", "/api/events", _event_body(args, creating=True) if action == "create" else None),
        "modify": (
            "PATCH",
            f"/api/events/{getattr(args, 'event_id', '')}",
            _event_body(args, creating=False) if action == "modify" else None,
        ),
        "cancel": ("DELETE", f"/api/events/{getattr(args, 'event_id', '')}", None),
        "show": ("GET", f"/api/events/{getattr(args, 'event_id', '')}", None),
        "performance": ("GET", f"/api/events/{getattr(args, 'event_id', '')}/performance", None),
        "list": (
            "GET",
            "/api/events" + (f"?status={args.status}" if getattr(args, "status", None) else ""),
            None,
        ),
        "vens": ("GET", "/api/vens", None),
    }
    method, path, body = calls[action]
    try:
        data = asyncio.run(_call(args, method, path, body))
    except aiohttp.ClientError as err:
        print(f"vtn-mock: cannot reach the admin API at {args.admin_url} ({err})", file=sys.stderr)
        return 1
    except RuntimeError as err:
        print(f"vtn-mock: {err}", file=sys.stderr)
        return 1
    if action == "list" and not args.json:
        for e in data:
            opts = ",".join(f"{v['ven_name']}={v['opt'] or '-'}" for v in e["vens"])
            what = f"{e['signal']}/{e['type']} mod={e['modification_number']}"
            print(f"{e['event_id']}  {e['status']:<9}  {what}  {e['start']}  {opts}")
    else:
        print(json.dumps(data, indent=2))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vtn-mock", description="A mock OpenADR 2.0b VTN for testing VENs.")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="run the VTN (OpenADR endpoint + admin API)")
    s.add_argument("--config", help="vtn.toml")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--admin-host")
    s.add_argument("--admin-port", type=int)
    s.add_argument("--poll-interval", help="requested oadrPoll interval, e.g. 10s")
    s.add_argument("--db", help="SQLite file (default from config, else vtn-mock.sqlite)")
    s.add_argument("--scenario", help="scenario TOML: a season of events")
    s.add_argument("--log-level", default="INFO")
    s.add_argument(
        "--oauth-client", action="append", default=[], help="OpenADR 3.1 VEN client ID:SECRET (repeatable)"
    )
    s.add_argument(
        "--oauth-bl-client",
        action="append",
        default=[],
        help="OpenADR 3.1 business-logic client ID:SECRET (repeatable)",
    )
    client = argparse.ArgumentParser(add_help=False)
    client.add_argument("--admin-url", default=os.environ.get("VTN_MOCK_ADMIN_URL", DEFAULT_ADMIN_URL))
    client.add_argument("--json", action="store_true", help="print JSON")
    ev = sub.add_parser("event", help="create, modify, cancel, list or show events").add_subparsers(
        dest="action", required=True
    )
    for name in ("create", "modify"):
        p = ev.add_parser(name, parents=[client])
        if name == "modify":
            p.add_argument("event_id")
        else:
            p.add_argument("--ven", action="append", help="VEN name or id (repeatable; default: all)")
            p.add_argument("--signal", default="LOAD_DISPATCH")
            p.add_argument("--type")
            p.add_argument("--test-event", action="store_true")
        p.add_argument("--start", default="now" if name == "create" else None, help="ISO 8601, now or +5m")
        p.add_argument("--intervals", help="DURATION:VALUE,... e.g. 15m:-500,15m:-300")
        p.add_argument("--duration")
        p.add_argument("--value", type=float)
        p.add_argument("--response-required", choices=["always", "never"])
        p.add_argument("--startafter")
        p.add_argument("--ramp-up")
        p.add_argument("--priority", type=int)
        p.add_argument("--market-context")
    for name in ("cancel", "show", "performance"):
        ev.add_parser(name, parents=[client]).add_argument("event_id")
    ev.add_parser("list", parents=[client]).add_argument("--status")
    sub.add_parser("vens", parents=[client], help="registered VENs")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            logging.basicConfig(
                level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
            )
            logging.getLogger("openleadr").setLevel(logging.WARNING)  # it logs every message body at INFO
            config = _serve_config(args)
            clients = _oauth_clients(args)
            asyncio.run(serve(config, Path(args.scenario) if args.scenario else None, _announce, clients))
            return 0
        return _client(args)
    except InputError as err:
        print(f"vtn-mock: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # e.g. the port is taken
        print(f"vtn-mock: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
