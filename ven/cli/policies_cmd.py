"""`ven policies`: list the installed policies (built-in and plug-ins)."""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import Any

from policies import available_policies


def register(commands: Any) -> None:
    parser = commands.add_parser("policies", help="list installed aggregation policies")
    parser.add_argument("--json", action="store_true", help="print a JSON list")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    infos = available_policies()
    if args.json:
        print(json.dumps([dataclasses.asdict(info) for info in infos]))
        return 0
    width = max((len(info.name) for info in infos), default=4)
    for info in infos:
        print(f"{info.name:<{width}}  {info.summary}  [{info.distribution}: {info.target}]")
    return 0
