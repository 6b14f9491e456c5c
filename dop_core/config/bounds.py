"""Field metadata of the settings Airflow takes only within bounds: whole numbers (retries, runs and tasks at
once), durations (delays, timeouts, poke intervals), pool names and owners.

Each helper returns the ``parse``, ``expected``, ``fix`` and ``schema`` metadata of such a field (see
:mod:`dop_core.config.structure`), so that ``dop validate``, ``dop schema`` and the config reference state the
same bounds; the field adds its ``doc``: ``attrs.field(metadata={**whole_number(0, fix=...), "doc": ...})``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from dop_core.config.durations import format_duration, parse_duration
from dop_core.config.json_schema import duration_schema

#: the largest whole number Airflow keeps (a task's tries, a DAG's runs and tasks at once are 32-bit columns)
AIRFLOW_INT_MAX = 2**31 - 1
#: the shortest wait or timeout DOP gives Airflow: 0s would mean no timeout at all (Airflow skips a falsy one),
#: a retry or a check at once, over and over
SHORTEST = dt.timedelta(seconds=1)
#: the longest: beyond a year a wait or timeout is a typo (and past a few thousand years Airflow's date
#: arithmetic overflows in the scheduler)
LONGEST = dt.timedelta(days=366)
#: an Airflow pool name: the characters Airflow's metrics keep (it renames others, with a warning, in every
#: metric) but "/", which its REST API's /pools/{name} cannot address; 256 is the length of slot_pool.pool
POOL = re.compile(r"[A-Za-z0-9_.\-]{1,256}")
POOL_EXPECTED = "an Airflow pool name: letters, digits, _ . and - (at most 256)"
#: an owner as Airflow shows it: one line, not blank, at most 500 characters (dag_owner_attributes.owner)
OWNER = re.compile(r"\S(?:[^\r\n]{0,498}\S)?")
OWNER_EXPECTED = "a name on one line, not blank, at most 500 characters, e.g. data-team"


def _number(low: float, high: float, what: str, whole: bool) -> Any:
    """The ``parse`` of a number (a whole one with ``whole``) from ``low`` to ``high`` (``true``, ``.nan`` are not)."""

    def parse(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int if whole else int | float) or value != value:
            raise ValueError(f"{value!r} is not {what}")
        if value < low:
            raise ValueError(f"{value!r} is less than {low}")
        if value > high:
            raise ValueError(f"{value!r} is more than {high}" + (", Airflow's largest" if high == AIRFLOW_INT_MAX
                                                                  else ""))
        return value if whole else float(value)

    return parse


def whole_number(low: int, fix: str, high: int = AIRFLOW_INT_MAX) -> dict[str, Any]:
    """A whole number from ``low`` to ``high`` (``true`` and ``3.0`` are not)."""
    return {"parse": _number(low, high, "a whole number", whole=True), "expected": f"a whole number from {low} to "
            f"{high}", "fix": fix, "schema": {"type": "integer", "minimum": low, "maximum": high}}


def seconds(fix: str, shortest: int = 1, longest: int = int(LONGEST.total_seconds()), whole: bool = False
            ) -> dict[str, Any]:
    """A number of seconds (a whole number with ``whole``) from ``shortest`` to ``longest``: a timeout or a wait
    that a setting states in seconds (``connect_timeout: 10``), where :func:`duration` would change its type."""
    what = "a whole number of seconds" if whole else "a number of seconds"
    expected = f"{what} from {shortest} to {longest} ({format_duration(dt.timedelta(seconds=longest))})"
    return {"parse": _number(shortest, longest, what, whole), "expected": expected, "fix": fix,
            "schema": {"type": "integer" if whole else "number", "minimum": shortest, "maximum": longest}}


def duration(fix: str, shortest: dt.timedelta = SHORTEST, longest: dt.timedelta = LONGEST) -> dict[str, Any]:
    """A duration (5m, 1h30m, a number of seconds, {minutes: 5}) from ``shortest`` to ``longest``."""
    low, high = format_duration(shortest), format_duration(longest)
    expected = (f"a duration from {low} to {high}, such as '30s', '5m', '1h30m', '2d', a number of seconds, "
                "or {minutes: 5}")

    def parse(value: Any) -> dt.timedelta:
        delta = parse_duration(value)
        if delta < shortest:
            raise ValueError(f"{value!r} is " + ("zero, " if not delta else "") + f"shorter than {low}")
        if delta > longest:
            raise ValueError(f"{value!r} is longer than {high}")
        return delta

    return {"parse": parse, "expected": expected, "fix": fix,
            "schema": duration_schema(shortest.total_seconds(), longest.total_seconds(), expected)}


def _matching(pattern: re.Pattern[str], what: str) -> Any:
    def parse(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"{value!r} is not {what}")
        if not pattern.fullmatch(value):
            raise ValueError(f"{value!r} is not {what}" + (" (it is empty)" if not value.strip() else ""))
        return value

    return parse


def pool(fix: str) -> dict[str, Any]:
    """The name of an Airflow pool (see :data:`POOL`)."""
    return {"parse": _matching(POOL, "an Airflow pool name"), "expected": POOL_EXPECTED, "fix": fix,
            "schema": {"type": "string", "pattern": f"^{POOL.pattern}$"}}


def owner(fix: str) -> dict[str, Any]:
    """An owner shown in Airflow (see :data:`OWNER`)."""
    return {"parse": _matching(OWNER, "an owner Airflow can show"), "expected": OWNER_EXPECTED, "fix": fix,
            "schema": {"type": "string", "pattern": f"^{OWNER.pattern}$"}}
