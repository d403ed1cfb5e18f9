"""`ven policies`: list the installed policies (built-in and plug-ins)."""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import Any

from policies import available_policies
from ven.cli.parsing import add_command


def register(commands: Any) -> None:
    parser = add_command(
        commands,
        "policies",
        "list the installed aggregation policies",
        "Lists the policies `ven plan --policy` and `[dispatch] policy` accept: the built-ins and any "
        "plug-in installed under the v2x_ven.policies entry-point group.",
    )
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
