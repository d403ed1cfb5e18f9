"""Shared fixtures."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# CI: more examples, derandomised so a run is reproducible; locally, quick.
settings.register_profile(
    "ci", max_examples=150, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "dev", max_examples=60, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
