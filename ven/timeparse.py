"""Durations (`90s`, `15m`, `3h`, `PT15M`) and times (ISO 8601, `now`, `+5m`) as CLI and configs take them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from ven.errors import InputError

_SHORT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_ISO = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> timedelta:
    """Parse `90s`, `15m`, `3h`, `1d` or an ISO 8601 duration such as `PT15M`."""
    try:
        short = _SHORT.match(text)
        if short:
            return timedelta(seconds=float(short.group(1)) * _UNIT_SECONDS[short.group(2)])
        iso = _ISO.match(text.strip().upper())
        if iso and text.strip().upper() not in ("P", "PT"):
            parts = {k: float(v) if v else 0.0 for k, v in iso.groupdict().items()}
            return timedelta(days=parts["d"], hours=parts["h"], minutes=parts["m"], seconds=parts["s"])
    except OverflowError:  # beyond timedelta's 999,999,999 days
        raise InputError(f"duration out of range: {text!r}") from None
    raise InputError(f"not a duration: {text!r} (use e.g. 90s, 15m, 3h or PT15M)")


def parse_time(text: str, now: datetime) -> datetime:
    """Parse an ISO 8601 time with a UTC offset, `now`, or `+5m` (relative to now); result is in UTC."""
    stripped = text.strip()
    if stripped == "now":
        return now.astimezone(UTC)
    if stripped.startswith("+"):
        try:
            return (now + parse_duration(stripped[1:])).astimezone(UTC)
        except OverflowError:
            raise InputError(f"time out of range: {text!r}") from None
    return parse_iso_datetime(stripped)


def parse_iso_datetime(text: str) -> datetime:
    """Parse an ISO 8601 timestamp that carries a UTC offset (`Z` accepted); naive times are refused."""
    try:
        parsed = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise InputError(f"not an ISO 8601 time: {text!r}") from None
    if parsed.tzinfo is None:
        raise InputError(f"time {text!r} has no UTC offset (write e.g. 2026-07-01T16:00:00-04:00 or ...Z)")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:00-05:00 is in year 10000 in UTC
        raise InputError(f"time out of range: {text!r}") from None


def format_duration(delta: timedelta) -> str:
    """Format as an ISO 8601 duration (`PT15M`), the form OpenADR uses."""
    seconds = round(delta.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    out = "PT"
    if hours:
        out += f"{hours}H"
    if minutes:
        out += f"{minutes}M"
    if secs or out == "PT":
        out += f"{secs}S"
    return out


def coerce_duration(value: object) -> timedelta:
    """A config value as a duration: `10s`, `PT10S`, a number of seconds or a timedelta.

    Raises ValueError (not InputError): pydantic turns ValueErrors into field-level errors.
    """
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return timedelta(seconds=value)
        except (OverflowError, ValueError):  # beyond 999,999,999 days, or not finite
            raise ValueError(f"duration out of range: {value!r} s") from None
    if isinstance(value, str):
        try:
            return parse_duration(value)
        except InputError as err:
            raise ValueError(str(err)) from None
    raise ValueError("expected a duration such as 10s, 15m or PT15M")
