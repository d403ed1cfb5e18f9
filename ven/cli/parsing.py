"""What both command lines (`ven`, `vtn-mock`) share: one-line errors, defaults shown in help, `--version`,
and command groups that print their usage when called bare.

Every bad argument raises InputError (the tool prints one line and exits 2). Values that start with a
minus sign and a digit (`-1h`, `-300,-200`) are values, not options: argparse's own rule accepts plain
negative numbers only, so `--duration -1h` used to fail with "expected one argument".
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any, NoReturn

from ven.errors import InputError

DISTRIBUTION = "v2x-ven"
_VALUE_NOT_OPTION = re.compile(r"^-\d")


def package_version() -> str:
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "0+unknown"


class HelpFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default when it has one."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        quiet = action.default in (None, False, argparse.SUPPRESS) or not action.option_strings
        if quiet or "%(default)" in text or "default:" in text:
            return text
        return f"{text} (default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """argparse that raises InputError instead of printing usage and exiting."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _VALUE_NOT_OPTION

    def error(self, message: str) -> NoReturn:
        raise InputError(message)


def tool_parser(prog: str, description: str) -> Parser:
    """The top-level parser of a tool, with `--version`."""
    parser = Parser(prog=prog, description=description)
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {package_version()}", help="print the version"
    )
    return parser


def command_group(parser: argparse.ArgumentParser, dest: str, title: str = "commands") -> Any:
    """Subcommands of `parser`; called without one, it prints its usage and command list (exit 0)."""
    parser.set_defaults(handler=_usage(parser))
    return parser.add_subparsers(dest=dest, title=title, metavar="COMMAND", parser_class=Parser)


def add_command(
    commands: Any, name: str, summary: str, description: str | None = None, **options: Any
) -> Parser:
    """One subcommand: `summary` in its group's command list, `description` (else the summary) in its help;
    `options` go to argparse (e.g. parents=[...])."""
    parser: Parser = commands.add_parser(name, help=summary, description=description or summary, **options)
    return parser


def _usage(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    def show(_args: argparse.Namespace) -> int:
        parser.print_help(sys.stdout)
        return 0

    return show
