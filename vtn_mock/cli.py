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

from ven.cli import logs
from ven.cli.parsing import add_command, command_group, tool_parser
from ven.errors import InputError
from ven.timeparse import coerce_duration
from vtn_mock.config import TOKEN_ENV, VtnConfig, load_config
from vtn_mock.events import SIGNAL_TYPES, STATUSES
from vtn_mock.openadr3.auth import OAuthClient, Role, parse_client

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
        print(f"vtn-mock: error: cannot reach the admin API at {args.admin_url} ({err})", file=sys.stderr)
        return 1
    except RuntimeError as err:
        print(f"vtn-mock: error: {err}", file=sys.stderr)
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
    parser = tool_parser(
        "vtn-mock",
        "A mock OpenADR 2.0b and 3.1 VTN (the utility side) for testing VENs: serve it, then drive events "
        "through its admin API with the event commands. docs/vtn-mock.md has it all.",
    )
    sub = command_group(parser, "command")
    s = add_command(
        sub,
        "serve",
        "run the VTN (OpenADR endpoint + admin API)",
        "Serves OpenADR 2.0b, OpenADR 3.1 (under /openadr3/3.1.0 on the same port) and the JSON admin API "
        "until SIGINT/SIGTERM, printing one JSON line with the URLs when ready. Flags override the config "
        "file; --scenario schedules a season of events, each listed (status pending) until it is sent.",
    )
    s.add_argument("--config", metavar="TOML", help="vtn.toml (default: built-in settings)")
    s.add_argument("--host", help="OpenADR address to bind (default: the config's, else 127.0.0.1)")
    s.add_argument(
        "--port", type=int, help="OpenADR port; 0 picks a free one (default: the config's, else 8080)"
    )
    s.add_argument("--admin-host", help="admin API address (default: the config's, else 127.0.0.1)")
    s.add_argument(
        "--admin-port", type=int, help="admin API port; 0 picks a free one (default: the config's, else 8081)"
    )
    s.add_argument(
        "--poll-interval", help="oadrPoll interval told to VENs, e.g. 10s (default: the config's, else 10s)"
    )
    s.add_argument("--db", help="SQLite file (default: the config's, else vtn-mock.sqlite)")
    s.add_argument("--scenario", metavar="TOML", help="a scenario file: a season of events to send")
    s.add_argument(
        "--log-level",
        default="INFO",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="the least severe level logged",
    )
    s.add_argument(
        "--log-format", default="text", choices=logs.FORMATS, help="text lines, or one JSON object per line"
    )
    s.add_argument(
        "--oauth-client",
        action="append",
        default=[],
        metavar="ID:SECRET",
        help="an OpenADR 3.1 VEN client (repeatable; none: on loopback, ven:ven-secret)",
    )
    s.add_argument(
        "--oauth-bl-client",
        action="append",
        default=[],
        metavar="ID:SECRET",
        help="an OpenADR 3.1 business-logic client (repeatable; none: on loopback, bl:bl-secret)",
    )
    client = argparse.ArgumentParser(add_help=False)
    client.add_argument(
        "--admin-url",
        default=os.environ.get("VTN_MOCK_ADMIN_URL", DEFAULT_ADMIN_URL),
        help="the admin API (env VTN_MOCK_ADMIN_URL)",
    )
    client.add_argument("--json", action="store_true", help="print JSON")
    group = add_command(
        sub,
        "event",
        "create, modify, cancel, list or show events",
        "Drives events through a running mock VTN's admin API (--admin-url).",
    )
    ev = command_group(group, "action")
    for name, summary in (
        ("create", "create an event for one, several or every VEN"),
        ("modify", "change an event (its VENs get the new modification on their next poll)"),
    ):
        p = add_command(ev, name, summary, parents=[client])
        p.set_defaults(handler=_client)
        if name == "modify":
            p.add_argument("event_id", metavar="EVENT_ID", help="the event to change")
        else:
            p.add_argument("--ven", action="append", help="VEN name or id (repeatable; default: every VEN)")
            p.add_argument("--signal", default="LOAD_DISPATCH", choices=list(SIGNAL_TYPES), help="the signal")
            p.add_argument("--type", help="the signal type (default: the signal's first, e.g. delta, level)")
            p.add_argument("--test-event", action="store_true", help="mark it a test event")
        p.add_argument(
            "--start",
            default="now" if name == "create" else None,
            help="ISO 8601 with a UTC offset, now or +5m",
        )
        p.add_argument("--intervals", help="DURATION:VALUE,... e.g. 15m:-500,15m:-300")
        p.add_argument("--duration", help="one interval's length (with --value), e.g. 30m")
        p.add_argument("--value", type=float, help="one interval's value (with --duration), e.g. -500")
        p.add_argument(
            "--response-required",
            choices=["always", "never"],
            help="whether VENs must answer (default: always)",
        )
        p.add_argument("--startafter", help="randomisation window, e.g. 5m")
        p.add_argument("--ramp-up", help="ramp-up period, e.g. 15m")
        p.add_argument("--priority", type=int, help="event priority (default: 0)")
        p.add_argument("--market-context", help="market context URI")
    for name, summary in (
        ("cancel", "cancel an event"),
        ("show", "one event with each VEN's opt answer"),
        ("performance", "requested vs delivered reduction per interval"),
    ):
        p = add_command(ev, name, summary, parents=[client])
        p.set_defaults(handler=_client)
        p.add_argument("event_id", metavar="EVENT_ID", help="the event's id")
    listing = add_command(ev, "list", "every event, one line each (or --json)", parents=[client])
    listing.set_defaults(handler=_client)
    listing.add_argument("--status", choices=STATUSES, help="only events with this status")
    vens = add_command(sub, "vens", "registered VENs", parents=[client])
    vens.set_defaults(handler=_client)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        if args.command == "serve":
            from vtn_mock.server import serve  # noqa: PLC0415 - the OpenADR server only for `serve`

            logs.configure(args.log_level, args.log_format, tool="vtn-mock")
            logging.getLogger("openleadr").setLevel(logging.WARNING)  # it logs every message body at INFO
            config = _serve_config(args)
            clients = _oauth_clients(args)
            asyncio.run(serve(config, Path(args.scenario) if args.scenario else None, _announce, clients))
            return 0
        return int(args.handler(args))
    except InputError as err:
        print(f"vtn-mock: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
