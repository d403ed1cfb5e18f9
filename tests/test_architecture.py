"""The core knows no protocol and no storage backend: imports checked in the source, not by convention.

The event book, opt decisions, dispatch, telemetry and the policies work on our own DrEvent and Request;
each protocol edge (ven.openadr for 2.0b, ven.openadr3 for 3.1) converts into them once.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ("ven/events", "ven/dispatch", "ven/telemetry", "ven/feasibility", "ven/model", "policies")
EDGES = ("ven.openadr", "ven.openadr3", "openleadr", "ocpp", "aiohttp")
BACKENDS = ("ven.storage.sqlite", "ven.storage.postgres", "sqlite3", "psycopg", "psycopg_pool")


def imported(path: Path) -> set[str]:
    """Every module `path` imports, also inside functions and TYPE_CHECKING blocks."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def core_modules() -> list[Path]:
    return sorted(path for folder in CORE for path in (ROOT / folder).rglob("*.py"))


def reaches(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def test_the_core_has_modules_to_check() -> None:
    modules = core_modules()
    assert len(modules) >= 40, [str(p) for p in modules]
    assert {p.parent.relative_to(ROOT).as_posix().split("/")[0] for p in modules} == {"ven", "policies"}


@pytest.mark.parametrize("path", core_modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_core_module_imports_no_protocol_edge_and_no_backend(path: Path) -> None:
    wrong = sorted(m for m in imported(path) if reaches(m, EDGES) or reaches(m, BACKENDS))
    assert wrong == []


def test_the_check_sees_an_edge_import(tmp_path: Path) -> None:
    """The scan itself can fail: an edge import hidden in a function is found."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from ven.openadr.models import ResponseCode\n    import psycopg\n")
    assert sorted(m for m in imported(sample) if reaches(m, EDGES) or reaches(m, BACKENDS)) == [
        "psycopg",
        "ven.openadr.models",
    ]


ENTRY_MODULES = (
    "ven.events",
    "ven.events.model",
    "ven.storage",
    "ven.storage.records",
    "ven.dispatch.controller",
    "ven.telemetry.sampler",
    "ven.feasibility.flexibility",
    "policies",
    "ven.openadr.models",
    "ven.openadr3.models",
    "ven.runtime.app",
    "ven.cli.main",
    "vtn_mock.cli",
)


@pytest.mark.parametrize("module", ENTRY_MODULES)
def test_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    """An import cycle only shows when a module is the first one imported: each gets its own process."""
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
