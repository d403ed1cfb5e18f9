"""Run a season for one policy or several side by side, in worker processes when there are cores for it.

Each policy's season is independent (its own simulated-time loop, mock VTN and VEN); the fleet's life
and the programme's calendar are seeded, so every policy meets the same days, trips and events.
"""

from __future__ import annotations

import logging
import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from ven.season.config import load_season
from ven.season.results import SeasonResult, season_result
from ven.season.runner import run_policy

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence


def run_seasons(  # noqa: PLR0917 - the command's options
    config: Path,
    policies: Sequence[str],
    days: int | None,
    workdir: Path,
    jobs: int,
    progress: Callable[[str], None] | None,
) -> list[SeasonResult]:
    """One SeasonResult per policy, in the order given; `jobs` > 1 runs that many at once."""
    if jobs <= 1 or len(policies) == 1:
        return [_season(config, policy, days, workdir, progress) for policy in policies]
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited loop or threads
    with ProcessPoolExecutor(max_workers=min(jobs, len(policies)), mp_context=context) as pool:
        futures = [
            pool.submit(_worker, str(config), policy, days, str(workdir), progress is not None)
            for policy in policies
        ]
        return [future.result() for future in futures]


def _season(
    config: Path, policy: str, days: int | None, workdir: Path, progress: Callable[[str], None] | None
) -> SeasonResult:
    season, ven = load_season(config)
    run = run_policy(season, ven, policy, days=days, workdir=workdir, progress=progress or _silent)
    return season_result(run, season)


def _worker(config: str, policy: str, days: int | None, workdir: str, loud: bool) -> SeasonResult:
    for name in ("openleadr", "apscheduler", "aiohttp", "ven", "vtn_mock"):
        logging.getLogger(name).setLevel(logging.ERROR)  # a fresh process: quiet as the command is
    return _season(Path(config), policy, days, Path(workdir), _stderr if loud else None)


def _stderr(message: str) -> None:
    print(f"[season] {message}", file=sys.stderr, flush=True)  # noqa: T201 - progress goes to stderr


def _silent(_: str) -> None:
    return
