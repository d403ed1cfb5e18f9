"""The demo's plumbing: the mock VTN's and the VEN's configs, and small time and averaging helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from ven.clock import Clock
from ven.runtime.config import OAuthSection, VenConfig
from vtn_mock.config import AdminSection, VtnConfig, VtnSection


def vtn_config(workdir: Path) -> VtnConfig:
    # Reports carry the VEN's (simulated) sample times, at the granularity the VTN asks: the finest the
    # VEN offers (its sampling period; 1 s is clamped to it), so performance is measured per interval.
    vtn = VtnSection(
        host="127.0.0.1",
        port=0,
        poll_interval=timedelta(seconds=1),
        report_sampling=timedelta(seconds=1),
        database=str(workdir / "vtn.sqlite"),
    )
    return VtnConfig(vtn=vtn, admin=AdminSection(host="127.0.0.1", port=0))


class SharedClock:
    """The mock VTN's clock: the demo's clock until the VEN exists, then the VEN's (simulated) one, so both
    see the event's statuses alike. The VEN's simulated clock starts at the demo clock's now."""

    def __init__(self, source: Clock) -> None:
        self.source = source

    def now(self) -> datetime:
        return self.source.now()


def ven_config(
    config: VenConfig,
    vtn_url: str,
    fleet: Path,
    workdir: Path,
    time_scale: float,
    *,
    http: bool = False,
    protocol: Literal["openadr2b", "openadr3"] = "openadr2b",
) -> VenConfig:
    # Over 3.1 the VEN signs in as the mock VTN's loopback default client (docs/vtn-mock.md).
    oauth = OAuthSection(client_id="ven", client_secret="ven-secret") if protocol == "openadr3" else None  # noqa: S106
    return config.model_copy(
        update={
            "ven": config.ven.model_copy(update={"vtn_url": vtn_url, "protocol": protocol}),
            "oauth": oauth if oauth is not None else config.oauth,
            "fleet": config.fleet.model_copy(update={"file": fleet}),
            "chargers": config.chargers.model_copy(update={"time_scale": time_scale}),
            "storage": config.storage.model_copy(update={"url": f"sqlite:///{workdir / 'ven.sqlite'}"}),
            "http": config.http.model_copy(update={"listen": "127.0.0.1:0" if http else ""}),
        }
    )


def average(intervals: list[dict[str, Any]], key: str) -> float:
    """Duration-weighted average of one per-interval figure over the intervals that have it."""
    pairs = [(float(i[key]), _seconds(i)) for i in intervals if i[key] is not None]
    weight = sum(w for _, w in pairs)
    return sum(v * w for v, w in pairs) / weight if weight > 0 else float("nan")


def _seconds(interval: dict[str, Any]) -> float:
    return (
        datetime.fromisoformat(interval["end"]) - datetime.fromisoformat(interval["start"])
    ).total_seconds()


def ceil(when: datetime, step: timedelta) -> datetime:
    """`when` rounded up to a multiple of `step` (since the epoch)."""
    return datetime.fromtimestamp(-(-when.timestamp() // step.total_seconds()) * step.total_seconds(), UTC)


def wait_text(delta: timedelta, time_scale: float) -> str:
    seconds = delta.total_seconds()
    if time_scale == 1:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} simulated minutes"
