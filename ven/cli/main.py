"""`ven`: entry point and subcommand dispatch; bad input exits 2 with a one-line message."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ven.cli import (
    certs_cmd,
    demo_cmd,
    events_cmd,
    fleet_cmd,
    forecast_cmd,
    optout_cmd,
    plan_cmd,
    policies_cmd,
    run_cmd,
    season_cmd,
)
from ven.cli.parsing import command_group, tool_parser
from ven.errors import InputError, V2XError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_BAD_INPUT = 2


def build_parser() -> argparse.ArgumentParser:
    parser = tool_parser(
        "ven",
        "v2x-ven: an OpenADR VEN that turns a fleet of bidirectional EVs into a virtual power plant.\n"
        "Run a command with --help for its options; docs/reference.md has the whole surface.",
    )
    commands = command_group(parser, "command")
    plan_cmd.register(commands)
    policies_cmd.register(commands)
    run_cmd.register(commands)
    demo_cmd.register(commands)
    events_cmd.register(commands)
    certs_cmd.register(commands)
    fleet_cmd.register(commands)
    forecast_cmd.register(commands)
    optout_cmd.register(commands)
    season_cmd.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        code: int = args.handler(args)
    except InputError as exc:
        print(f"ven: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except V2XError as exc:
        print(f"ven: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # `ven ... | head`: the reader left; nothing more to say.
        sys.stderr.close()
        return EXIT_OK
    return code


if __name__ == "__main__":
    sys.exit(main())
