"""Discover policies through the `v2x_ven.policies` entry-point group (built-ins register the same way)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from policies.base import Policy
from ven.errors import PolicyError

GROUP = "v2x_ven.policies"


@dataclass(frozen=True, slots=True)
class PolicyInfo:
    name: str
    target: str
    distribution: str
    summary: str


def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def available_policies() -> list[PolicyInfo]:
    """Installed policies, sorted by name, with the first docstring line of each."""
    infos = []
    for name, ep in sorted(_entry_points().items()):
        try:
            factory = ep.load()
            summary = (factory.__doc__ or "").strip().splitlines()[0] if factory.__doc__ else ""
        except Exception as exc:  # noqa: BLE001 - a broken plug-in is listed with its error, not fatal
            summary = f"(fails to load: {type(exc).__name__}: {exc})"
        dist = ep.dist.name if ep.dist is not None else "?"
        infos.append(PolicyInfo(name, ep.value, dist, summary))
    return infos


def load_policy(name: str, **settings: object) -> Policy:
    """Instantiate the policy registered under `name`, passing `settings` to its constructor."""
    eps = _entry_points()
    if name not in eps:
        known = ", ".join(sorted(eps)) or "none"
        raise PolicyError(f"unknown policy {name!r} (installed: {known})")
    try:
        factory = eps[name].load()
        policy = factory(**settings)
    except Exception as exc:
        raise PolicyError(f"policy {name!r} failed to load: {type(exc).__name__}: {exc}") from exc
    if not isinstance(policy, Policy):
        raise PolicyError(f"policy {name!r} ({eps[name].value}) has no name/allocate(problem)")
    return policy
