"""Durations written safely: ``30s``, ``5m``, ``1h30m``, ``2d``, a number of seconds, or ``{minutes: 5}``."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds", "ms": "milliseconds"}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|w|d|h|m|s)")
_KEYS = {"weeks", "days", "hours", "minutes", "seconds", "milliseconds"}

EXPECTED = "a duration such as '30s', '5m', '1h30m', '2d', a number of seconds, or {minutes: 5}"


def parse_duration(value: Any) -> dt.timedelta:
    """Return the timedelta ``value`` spells; raise ValueError with the accepted forms otherwise (a
    negative duration, or one longer than Python's longest, 999999999 days, included)."""
    try:
        return _parse(value)
    except OverflowError:
        raise ValueError(f"{value!r} is longer than any duration can be ({dt.timedelta.max.days} days)") from None


def _parse(value: Any) -> dt.timedelta:
    if isinstance(value, dt.timedelta):
        return value
    if isinstance(value, bool) or (isinstance(value, float) and math.isnan(value)):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"{value!r} is negative: a duration cannot be negative")
        if not math.isfinite(value):
            raise OverflowError
        return dt.timedelta(seconds=value)
    if isinstance(value, dict):
        unknown = set(value) - _KEYS
        if unknown or not value:
            raise ValueError(f"unknown duration keys {sorted(unknown)}; use {sorted(_KEYS)}")
        if not all(isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in value.values()):
            raise ValueError("duration amounts must be non-negative numbers")
        if not all(math.isfinite(v) for v in value.values()):
            raise OverflowError
        return dt.timedelta(**value)
    if isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        if text.startswith("-"):
            raise ValueError(f"{value!r} is negative: a duration cannot be negative")
        if text.isdigit():
            return dt.timedelta(seconds=int(text))
        pos, parts = 0, {}
        for match in _PART.finditer(text):
            if match.start() != pos:
                break
            unit = _UNITS[match.group(2)]
            if unit in parts:
                raise ValueError(f"{value!r} repeats the unit {match.group(2)!r}")
            parts[unit] = float(match.group(1))
            pos = match.end()
        if parts and pos == len(text):
            return dt.timedelta(**parts)
    raise ValueError(f"{value!r} is not a duration")


def format_duration(delta: dt.timedelta) -> str:
    """The shortest spelling of ``delta`` that :func:`parse_duration` reads back."""
    total = int(delta.total_seconds())
    if total == 0:
        return "0s"
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        n, total = divmod(total, size)
        if n:
            out.append(f"{n}{unit}")
    return "".join(out)
