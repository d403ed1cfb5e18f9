"""The exceptions v2x-ven raises on purpose; anything else is a bug."""

from __future__ import annotations


class V2XError(Exception):
    """Base of every deliberate v2x-ven error."""


class InputError(V2XError):
    """Bad user input (config, fleet file, CLI argument): the CLI exits with code 2."""


class FleetFileError(InputError):
    """A fleet enrollment file that cannot be accepted, located to file, line and column."""

    def __init__(self, path: str, line: int | None, column: str | None, problem: str) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.problem = problem
        where = path
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column '{column}'"
        super().__init__(f"{where}: {problem}")


class PolicyError(V2XError):
    """A policy is unknown, failed to load, or returned an unusable allocation."""


class SafetyViolationError(V2XError):
    """An allocation breaks a hard constraint; it must never reach a charger."""
